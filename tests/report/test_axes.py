"""Robustness (corruption × severity) and subgroup sections of the report: figures, numbers, warnings."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from fake_records import CORRUPTIONS, GROUPS, TASKS, make_axis_records, make_records
from scipy import stats

from facerep.records import write_records
from facerep.report import axes
from facerep.report.api import make_report


def _mean_ci(values: np.ndarray) -> str:
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return f"{values.mean():.3f} ± {half:.3f}"


def _md_row(md: str, title_start: str, row: str) -> list[str]:
    """Cells of the row ``row`` in the first Markdown table after the heading that starts with ``title_start``."""
    block = md[md.index(f"### {title_start}"):]
    block = block[:block.index("\n\n", block.index("|"))]
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == row:
            return cells[1:]
    raise AssertionError(f"no row {row!r} under {title_start!r}")


def test_severity_order_and_text() -> None:
    assert [axes.severity_text(v) for v in (1, 1.0, "2", "mask", None, np.nan)] == ["1", "1", "2", "mask", "0", "0"]
    assert axes.severity_order("blur", ["3", "1", "2", "0"]) == ["1", "2", "3"]
    assert axes.severity_order("lowres", ["16", "32", "24"]) == ["32", "24", "16"]  # fewer pixels is harsher
    assert axes.severity_order("occlusion", ["mask", "hand", "sunglasses"]) == ["sunglasses", "mask", "hand"]
    assert axes.is_ordinal(["1", "2"]) and not axes.is_ordinal(["mask"])


def test_sections_from_several_dirs(axis_report: Path) -> None:
    page, md = axis_report.read_text(), axis_report.with_suffix(".md").read_text()
    deg = re.findall(r'<figure class="degradation" data-task="(\w+)" data-corruptions="([^"]+)"', page)
    assert sorted(t for t, _ in deg) == sorted(TASKS)  # one figure per task, every corruption in it
    assert all(c.split() == sorted(CORRUPTIONS) for _, c in deg)
    bars = re.findall(r'<figure class="groups" data-task="(\w+)" data-attributes="skin_tone"', page)
    assert sorted(bars) == sorted(TASKS)
    assert page.count('<table class="degradation">') == len(TASKS) and page.count('<table class="groups">') == len(TASKS)
    assert len(re.findall(r'<figure class="fewshot"', page)) == len(TASKS)  # the main report is still there

    raw = make_axis_records()
    for task, (metric, direction) in TASKS.items():
        title = f"{task}: {metric} {'↑' if direction == 'max' else '↓'} (mode linear, fraction 1)"
        for corr, sev, row in (("clean", "0", "clean"), ("blur", "2", "blur 2"), ("occlusion", "mask", "occlusion mask")):
            got = _md_row(md, title, row)
            for col, backbone in enumerate(sorted(raw.backbone.unique())):
                sel = raw[(raw.task == task) & (raw.metric == metric) & (raw.backbone == backbone) & (raw.fraction == 1.0)
                          & (raw.corruption == corr) & (raw.severity == sev) & (raw.group == "") & (raw["mode"] == "linear")]
                assert len(sel) == 3
                assert got[col].strip("*") == _mean_ci(sel["value"].to_numpy()), (task, row, backbone)
            assert got[1].startswith("**") and not got[0].startswith("**")  # swav@synth: degrades less: best
        block = md[md.index(f"### {title}"):]
        assert block.index("| lowres 32 |") < block.index("| lowres 16 |")  # mild to strong
        assert block.index("| occlusion sunglasses |") < block.index("| occlusion mask |")
    # robustness.csv of each dir, its backbone taken from the records beside it
    assert page.count('<table class="robustness">') == 1
    assert re.search(r"\| random:timm:resnet18 \| pose \| blur \| mae \| 0\.1 \| 0\.2 \| 0\.25 \|", md)
    assert re.search(r"\| swav@synth: \| pose \| blur \| mae \| 1\.1 \| 1\.2 \| 1\.25 \|", md)
    assert "in the robustness / subgroup sections" in page


def test_group_tables_counts_cis_gap_and_warnings(axis_report: Path) -> None:
    page, md = axis_report.read_text(), axis_report.with_suffix(".md").read_text()
    raw = make_axis_records()
    sel = raw[(raw.task == "pose") & (raw.metric == "mae") & (raw.fraction == 1.0) & (raw.backbone == "swav@synth:")]
    title = "pose: mae ↓ by skin_tone (mode linear, fraction 1)"
    for name, (n, _) in GROUPS.items():
        got = _md_row(md, title, f"skin_tone={name}")
        g = sel[sel.group == f"skin_tone={name}"]
        assert got[0] == str(n)
        if n < 5:
            assert got[2] == f"{g.value.mean():.3f} ⚠"
        else:
            assert got[2] == f"{g.value.mean():.3f} [{g.ci_low.mean():.3f}, {g.ci_high.mean():.3f}]"
    gap = _md_row(md, title, "gap (best − worst)")[2]
    assert gap == f"{_mean_ci(sel[sel.group == 'skin_tone:gap'].value.to_numpy())} (light − dark)"
    # the random backbone has the larger gap (its planted offsets are bigger)
    rnd = float(_md_row(md, title, "gap (best − worst)")[1].split()[0])
    assert rnd > float(gap.split()[0]) > 0
    warn = re.findall(r"<p class='warn'>⚠ ([^<]+)</p>", page)
    assert len(warn) == len(TASKS) * 2 and all("skin_tone=dark has 3 test samples" in w for w in warn)
    assert md.count("\n- ⚠ ") == len(TASKS) * 2


def test_no_axes_no_sections(tmp_path: Path) -> None:
    df = make_records(stray_corruption=False)
    assert "corruption" not in df.columns
    write_records(df, tmp_path / "plain")
    out = make_report([tmp_path / "plain"], tmp_path / "plain.html")
    page, md = out.read_text(), out.with_suffix(".md").read_text()
    for text in (page, md):
        assert "Robustness under corruptions" not in text and "Subgroups" not in text
    assert 'class="degradation"' not in page and 'class="groups"' not in page and "class='warn'" not in page
    assert "0 robustness/fairness records (corruption or group rows) not shown here" in page


def test_axis_tables_use_the_largest_budget() -> None:
    raw = make_axis_records()
    deg = axes.degradation(raw)
    assert set(deg["x"]) == {1.0} and set(deg["backbone"]) == set(raw["backbone"])
    groups, gaps = axes.group_summary(pd.concat([raw, raw.assign(fraction=0.5, value=9.0)]))
    assert set(groups["x"]) == {1.0} and (groups["value"] < 5).all()
    assert set(gaps["best"]) == {"light"} and set(gaps["worst"]) == {"dark"}


def test_visible_and_occluded_parts(axis_report: Path) -> None:
    md = axis_report.with_suffix(".md").read_text()
    assert axis_report.read_text().count('<table class="visibility">') == 1  # landmarks2d only
    raw = make_axis_records()
    got = _md_row(md, "landmarks2d: nme_interocular ↓ (mode linear, fraction 1)\n\n| occluder", "occlusion mask")
    for i, (backbone, part) in enumerate((b, p) for b in sorted(raw.backbone.unique()) for p in ("", "_visible", "_occluded")):
        sel = raw[(raw.backbone == backbone) & (raw.metric == f"nme_interocular{part}") & (raw.corruption == "occlusion")
                  & (raw.severity == "mask") & (raw.fraction == 1.0)]
        assert got[i] == _mean_ci(sel["value"].to_numpy()), (backbone, part)


def test_training_variants_stay_apart(tmp_path: Path) -> None:
    """Runs whose heads were trained on corrupted images (bench --train-corruptions) are their own line."""
    raw = make_axis_records().assign(train_corruptions="clean")
    shifted = raw[raw.backbone == "swav@synth:"].assign(train_corruptions="blur:2", value=lambda f: f["value"] + 10.0)
    for name, part in (("a", raw), ("b", shifted)):  # two runs; each robustness.csv gets its run's label
        write_records(part.reset_index(drop=True), tmp_path / name)
        pd.DataFrame({"backbone": ["swav@synth:"], "task": ["pose"], "corruption": ["blur"],
                      "relative_error_increase": [0.5]}).to_csv(tmp_path / name / "robustness.csv", index=False)
    md = make_report([tmp_path / "a", tmp_path / "b"], tmp_path / "v.html").with_suffix(".md").read_text()
    assert "| swav@synth: [train: blur:2] | pose | blur | 0.5 |" in md and "| swav@synth: | pose | blur | 0.5 |" in md
    title = "pose: mae ↓ (mode linear, fraction 1)"
    header = md[md.index(f"### {title}"):].splitlines()[2]
    assert header == "| corruption | random:timm:resnet18 | swav@synth: | swav@synth: [train: blur:2] |"
    clean = _md_row(md, title, "clean")
    sel = raw[(raw.task == "pose") & (raw.metric == "mae") & (raw.backbone == "swav@synth:") & (raw.fraction == 1.0)
              & (raw.corruption == "clean") & (raw.group == "") & (raw["mode"] == "linear")]
    assert clean[1].strip("*") == _mean_ci(sel.value.to_numpy())
    assert clean[2] == _mean_ci(sel.value.to_numpy() + 10.0)
    assert "| swav@synth: [train: blur:2] |" in md.split("## Robustness")[0]  # the main tables keep it apart too
