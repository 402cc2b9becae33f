"""``facerep demo``: its spec is a valid sweep, and ``--quick`` runs end to end (synthetic faces ->
SwAV -> bench of random init vs the pre-trained backbone -> report) with the pre-trained backbone
ahead on most tasks."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from facerep.bench.tasks import ALL_TASKS
from facerep.config import DemoConfig
from facerep.demo import RANDOM_PREFIX, apply_quick, demo_spec, plan_text, pretrained_ahead
from facerep.errors import ConfigError
from facerep.records import read_records
from facerep.sweep.spec import load_spec


@pytest.mark.parametrize("quick", [False, True])
def test_demo_spec_is_a_valid_sweep(tmp_path: Path, quick: bool) -> None:
    cfg = apply_quick(DemoConfig()) if quick else DemoConfig()
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(demo_spec(cfg)))
    spec = load_spec(path)
    n_tasks = len(ALL_TASKS)
    assert [c.kind for c in spec.cells].count("pretrain") == 1
    assert len(spec.cells) == 1 + 2 * n_tasks * len(cfg.seeds)
    assert cfg.fractions == [0.05, 0.2, 1.0]
    assert all(c.config["fractions"] == [0.05, 0.2, 1.0] for c in spec.cells if c.kind == "eval")


def test_first_line_says_what_runs_and_how_long(tmp_path: Path) -> None:
    cfg = apply_quick(DemoConfig())
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(demo_spec(cfg)))
    cells = load_spec(path).cells
    line = plan_text(cfg, True, cells, set())
    assert line.startswith("facerep demo --quick: swav pre-training of timm:resnet18 (45 steps of 32 "
                           "synthetic faces")
    assert f"{len(cells) - 1} cells" in line and "8 tasks x 2 seeds" in line
    minutes = float(re.search(r"about ([\d.]+) min", line).group(1))
    full = plan_text(DemoConfig(), False, cells, set())  # more steps and bigger batches: longer
    assert 0.5 <= minutes < float(re.search(r"about ([\d.]+) min", full).group(1))
    pre = next(c.id for c in cells if c.kind == "pretrain")
    resumed = plan_text(cfg, True, cells, {pre})
    assert "pre-training" not in resumed and f"resuming: 1 of {len(cells)} steps done" in resumed
    assert "every step is finished" in plan_text(cfg, True, cells, {c.id for c in cells})


def test_quick_profile_rejects_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="stepz"):
        apply_quick(DemoConfig(quick={"stepz": 3}))


@pytest.mark.demo  # opt-in (python -m pytest -m demo tests/test_demo.py; .ci/run runs it after the suite): ~3 min
def test_demo_quick_end_to_end(tmp_path: Path, cli) -> None:
    t0 = time.time()
    code, out, err = cli("--quiet", "demo", "--out", tmp_path / "demo", "--quick")
    wall = time.time() - t0
    assert code == 0, err[-3000:]
    report = tmp_path / "demo" / "report.html"
    assert f"report: {report.resolve()}" in " ".join(out.split()).replace(" ", "") or str(report.resolve()) in out.replace("\n", "")
    page = report.read_text()
    tasks = list(ALL_TASKS)
    assert sorted(re.findall(r'<figure class="fewshot" data-task="([a-z0-9_]+)"', page)) == sorted(tasks)
    cfg = apply_quick(DemoConfig())
    records = read_records(tmp_path / "demo" / "records.csv")
    ahead = pretrained_ahead(records, f"{cfg.method} pre-trained", RANDOM_PREFIX + cfg.backbone)
    assert set(ahead) == set(tasks)
    assert sum(ahead.values()) > len(tasks) / 2, (ahead, f"{wall:.0f} s")
    # rerun: every cell is finished, nothing is recomputed, the records stay the same
    code, _, err = cli("--quiet", "demo", "--out", tmp_path / "demo", "--quick")
    assert code == 0, err[-3000:]
    again = read_records(tmp_path / "demo" / "records.csv")
    assert again.drop(columns="seconds").equals(records.drop(columns="seconds"))
