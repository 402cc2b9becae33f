"""The report's numbers (mean and CI over seeds, best per task, normalised summary) and its files."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from fake_records import BACKBONES, FRACTIONS, TASKS, make_records
from scipy import stats

from facerep.config import ReportConfig
from facerep.records import write_records
from facerep.report import tables
from facerep.report.api import load_results, make_report


def _agg() -> pd.DataFrame:
    return tables.aggregate(tables.select_primary(tables.main_records(make_records())))


def test_aggregate_mean_and_ci_over_seeds() -> None:
    agg = _agg()
    raw = make_records()
    sel = raw[(raw.task == "pose") & (raw.metric == "mae") & (raw.backbone == "swav@synth:") & (raw["mode"] == "linear")
              & (raw.fraction == 0.2) & (raw.get("corruption", "clean") != "blur")]
    v = sel["value"].to_numpy()
    assert len(v) == 3
    row = agg[(agg.task == "pose") & (agg.backbone == "swav@synth:") & (agg.x == 0.2)].iloc[0]
    assert row["metric"] == "mae" and row["direction"] == "min" and row["n_seeds"] == 3
    assert np.isclose(row["mean"], v.mean())
    assert np.isclose(row["ci"], stats.t.ppf(0.975, 2) * v.std(ddof=1) / np.sqrt(3))
    assert agg["mean"].max() < 100  # the corrupted-image row (value 123) is not in the main report
    trivial = agg[agg.backbone == tables.TRIVIAL_LABEL]
    assert len(trivial) == len(TASKS) * len(FRACTIONS)  # once per task, not once per backbone
    assert set(trivial["mode"]) == {"linear"}


def test_best_per_task_follows_direction() -> None:
    long = tables.score_table(_agg(), "linear", "fraction", 1.0)
    best = long[long.best]
    assert sorted(best.task) == sorted(TASKS)
    assert set(best.backbone) == {"swav@synth:"}  # higher accuracy and lower NME / MAE
    scores = tables.normalised_scores(_agg())
    assert scores.index[0] == "swav@synth:" and np.isclose(scores.loc["swav@synth:", "mean"], 1.0)
    assert scores.loc["swav@synth:", "mean rank"] == 1.0


def test_html_and_markdown(records_dir: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "rep" / "report.html"
    code, _, err = cli("report", records_dir, "--out", out, "--title", "Demo results")
    assert code == 0, err
    page = out.read_text()
    assert len(re.findall(r'<figure class="fewshot" data-task="([a-z0-9]+)"', page)) == len(TASKS)
    assert set(re.findall(r'data-task="([a-z0-9]+)"', page)) == set(TASKS)
    assert page.count('<table class="scores">') == len(FRACTIONS)
    first = page[page.index('<table class="scores">'):]
    first = first[:first.index("</table>")]
    assert "fraction 1" in first
    for row in re.findall(r"<tr>(.*?)</tr>", first)[1:]:  # only the better backbone is marked best
        assert ('class="best"' in row) == row.startswith("<td>swav@synth:</td>"), row
    srcs = re.findall(r'(?:src|href)="([^"]*)"', page) + re.findall(r"(?:src|href)='([^']*)'", page)
    assert srcs and all(s.startswith("data:") for s in srcs)  # self-contained: nothing to fetch
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "img/broken.png" in page and "1 samples were skipped" in page  # skipped.csv shown
    assert "image_size: 64" in page  # the run's config
    assert "3 robustness/fairness records" in page
    md = out.with_suffix(".md").read_text()
    assert md.startswith("# Demo results")
    assert md.count("| backbone |") == len(FRACTIONS) + 1  # summary + one table per fraction
    assert "**" in md and "skipped samples: 1" in md
    bold = re.findall(r"\| swav@synth: \|(.*)", md)[1]
    assert bold.count("**") == 2 * len(TASKS)


def test_sweep_dir_is_read_once(records_dir: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    df = make_records()
    write_records(df, sweep)  # merged file at the top …
    write_records(df.iloc[:10], sweep / "cells" / "abc")  # … and per-cell files below it
    assert len(load_results([sweep])) == len(df)
    assert len(load_results([records_dir, records_dir / "records.csv"])) == len(df)  # same rows twice: once


def test_empty_and_missing_inputs(tmp_path: Path, cli) -> None:
    code, _, err = cli("report", tmp_path / "nothing", "--out", tmp_path / "r.html")
    assert code == 2 and "no such file" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli("report", tmp_path / "empty", "--out", tmp_path / "r.html")
    assert code == 2 and "no records.csv" in err
    assert not (tmp_path / "r.html").exists()


def test_single_backbone_and_svg(tmp_path: Path) -> None:
    df = make_records()
    write_records(df[df.backbone != "random:timm:resnet18"], tmp_path / "one")
    out = make_report([tmp_path / "one"], tmp_path / "one.html", ReportConfig(figure_format="svg", markdown=False))
    page = out.read_text()
    # few-shot curves + the summary (with the trivial baseline) + a degradation figure per task (its blur row)
    assert page.count("data:image/svg+xml;base64,") == 2 * len(TASKS) + 1
    assert page.count('<figure class="degradation"') == len(TASKS) and '<figure class="groups"' not in page
    assert not out.with_suffix(".md").exists()
    assert set(BACKBONES) - {"random:timm:resnet18"} <= set(re.findall(r"<td>([^<]+)</td>", page))


def test_header_and_compute_time_with_pretraining(tmp_path: Path) -> None:
    """The header does not count the trivial baseline as a backbone; compute time per backbone adds the
    pre-training a source sweep ran for it (its pretrain cell's wall time)."""
    import json

    from fake_records import EDGE, make_edge_records

    out = tmp_path / "sweep"
    write_records(make_edge_records(), out)
    cell = out / "cells" / "abc123"
    cell.mkdir(parents=True)
    cell_json = {"id": "abc123", "kind": "pretrain", "label": "swav pre-trained"}
    (cell / "cell.json").write_text(json.dumps(cell_json))
    (cell / "done").write_text(json.dumps({"id": "abc123", "seconds": 100.0}))
    make_report([out], tmp_path / "r.html")
    page, md = (tmp_path / "r.html").read_text(), (tmp_path / "r.md").read_text()
    assert f"2 backbones (and each task&#x27;s trivial baseline) × {len(EDGE)} tasks" in page
    assert "compute seconds, swav pre-trained: 116.0 (bench 16.0, pre-training 100.0)" in md  # 8 runs x 2 s
    assert "compute seconds, random init: 16.0 (bench 16.0, pre-training –)" in md
    assert "-0.000" not in page and "-0.000" not in md
    assert "n = 2 seeds" in page and "<td class=\"best dim\">0.488 ± 0.000</td>" in page
