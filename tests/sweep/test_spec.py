"""Sweep specs: expansion into cells with stable ids, and every bad input reported at --dry-run time."""
from __future__ import annotations

from pathlib import Path

import pytest

from facerep.errors import ConfigError, DataError, UnknownNameError
from facerep.sweep.spec import load_spec

PRETRAIN = """
pretrain:
  - method: [swav, moco]
    data: {data}
    seed: [0, 1]
    backbone: timm:resnet18
    options: {{steps: 5, batch_size: 8, image_size: 32, swav: {{n_prototypes: 16}}}}
evaluate:
  tasks: [pose, expression]
  modes: [linear]
  fractions: [0.2, 1.0]
  seeds: [0, 1, 2]
  baselines: [random:timm:resnet18]
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_grid_expands_with_stable_ids(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, PRETRAIN.format(data="imagefolder:" + str(tmp_path))))
    pre = [c for c in spec.cells if c.kind == "pretrain"]
    evals = [c for c in spec.cells if c.kind == "eval"]
    assert len(pre) == 2 * 2  # method x seed
    assert len(evals) == (1 + 4) * 2 * 1 * 3  # backbones (baseline + runs) x tasks x modes x seeds
    assert spec.cells[:4] == pre  # pre-training first
    assert pre[0].config["swav"]["n_prototypes"] == 16 and pre[0].config["steps"] == 5  # nested options resolved
    moco = next(c for c in pre if c.config["method"] == "moco")  # swav's options are checked, not carried
    assert "swav" not in moco.config and moco.config["moco"]["version"] == 3
    assert all(set(c.deps) <= {p.id for p in pre} for c in evals)
    assert sum(bool(c.deps) for c in evals) == 4 * 2 * 3
    assert len({c.id for c in spec.cells}) == len(spec.cells)
    again = load_spec(write(tmp_path, PRETRAIN.format(data="imagefolder:" + str(tmp_path)), "copy.yaml"))
    assert [c.id for c in again.cells] == [c.id for c in spec.cells]  # ids hash configs, not files
    # an option that changes results changes the ids of that run and of everything evaluated on it
    changed = load_spec(write(tmp_path, PRETRAIN.format(data="imagefolder:" + str(tmp_path)).replace("steps: 5", "steps: 6"),
                              "changed.yaml"))
    assert {c.id for c in changed.cells if c.kind == "pretrain"}.isdisjoint({c.id for c in pre})
    # … one that does not (workers, logging) keeps the ids, and still reaches the run
    workers = load_spec(write(tmp_path, PRETRAIN.format(data="imagefolder:" + str(tmp_path)).replace(
        "steps: 5", "steps: 5, num_workers: 0"), "workers.yaml"))
    assert [c.id for c in workers.cells] == [c.id for c in spec.cells]
    assert workers.cells[0].config["num_workers"] == 0 and spec.cells[0].config["num_workers"] != 0
    baseline = [c.id for c in spec.cells if c.kind == "eval" and not c.deps]
    assert baseline == [c.id for c in changed.cells if c.kind == "eval" and not c.deps]


def test_dry_run_prints_cells_and_count(tmp_path: Path, cli) -> None:
    spec = write(tmp_path, PRETRAIN.format(data="imagefolder:" + str(tmp_path)))
    code, out, err = cli("sweep", spec, "--dry-run")
    assert code == 0, err
    assert "34 cells (4 pretrain, 30 eval)" in " ".join(out.split())
    assert not (tmp_path / "cells").exists()


@pytest.mark.parametrize("text, error, words", [
    (PRETRAIN.replace("[swav, moco]", "[swav, mocov9]"), UnknownNameError, ["spec.yaml:3", "pre-training method", "mocov9"]),
    (PRETRAIN.replace("[pose, expression]", "[pose, exprssion]"), UnknownNameError, ["spec.yaml:9", "task", "'expression'"]),
    (PRETRAIN.replace("{data}", "nosuchformat:/x"), UnknownNameError, ["spec.yaml:3", "dataset format", "nosuchformat"]),
    (PRETRAIN.replace("{data}", "imagefolder:/no/such/dir"), DataError, ["spec.yaml:3", "/no/such/dir", "does not exist"]),
    (PRETRAIN.replace("modes: [linear]", "modes: [linear, lineer]"), UnknownNameError, ["spec.yaml:9", "bench mode"]),
    (PRETRAIN.replace("fractions: [0.2, 1.0]", "fractions: [0, 1.0]"), ConfigError, ["spec.yaml:9", "fraction 0"]),
    (PRETRAIN.replace("steps: 5", "stepz: 5"), ConfigError, ["spec.yaml:3", "stepz"]),
    (PRETRAIN.replace("n_prototypes: 16", "n_protoypes: 16"), ConfigError,
     ["spec.yaml:3", "swav.n_protoypes", "pre-training method 'swav'"]),
    (PRETRAIN.replace("random:timm:resnet18", "timm:resnet_nope"), UnknownNameError, ["spec.yaml:9", "resnet_nope"]),
    (PRETRAIN + "oops: 1\n", ConfigError, ["unknown key", "oops"]),
    (PRETRAIN.replace("seed: [0, 1]", "seed: [0, 1, 0]"), DataError, ["spec.yaml:3", "duplicate cell"]),
    (PRETRAIN.replace("baselines: [random:timm:resnet18]", "baselines: [random:timm:resnet18, random:timm:resnet18]"),
     DataError, ["duplicate cell", "random:timm:resnet18 | pose"]),
    ("pretrain: [1, 2\n", DataError, ["spec.yaml", "not valid YAML"]),
])
def test_bad_specs_fail_before_running(tmp_path: Path, cli, text: str, error: type, words: list[str]) -> None:
    text = text.replace("{data}", "imagefolder:" + str(tmp_path)).replace("{{", "{").replace("}}", "}")
    spec = write(tmp_path, text)
    with pytest.raises(error) as info:
        load_spec(spec)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    code, _, err = cli("sweep", spec, "--out", tmp_path / "out")  # the CLI refuses it in one line, runs nothing
    assert code == 2 and "error:" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "cells").exists()


def test_duplicate_across_blocks_names_both_lines(tmp_path: Path) -> None:
    text = """cells:
  - {kind: toy, grid: {x: [1, 2]}}
  - {kind: toy, grid: {x: [2, 3]}}
imports: [facerep_test_cells]
"""
    with pytest.raises(DataError, match=r"spec.yaml:3: duplicate cell 'toy x=2'.*line 2"):
        load_spec(write(tmp_path, text))


def test_unknown_cell_kind_and_import(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="cell kind 'toi'"):
        load_spec(write(tmp_path, "imports: [facerep_test_cells]\ncells:\n  - {kind: toi, grid: {x: [1]}}\n"))
    with pytest.raises(ConfigError, match="cannot import 'no_such_module_xyz'"):
        load_spec(write(tmp_path, "imports: [no_such_module_xyz]\ncells:\n  - {kind: toy, grid: {x: [1]}}\n"))
    with pytest.raises(DataError, match="does not exist"):
        load_spec(tmp_path / "missing.yaml")
