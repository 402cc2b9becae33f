"""End to end: a real tiny `facerep bench --corruptions --groups`, then `facerep report` on its output."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd


def test_bench_with_axes_then_report(tmp_path: Path, cli) -> None:
    out = tmp_path / "bench"
    code, _, err = cli("--quiet", "bench", "--backbone", "timm:resnet18", "--tasks", "expression", "--fractions", "1.0",
                       "--seeds", "0", "--image-size", "32", "--corruptions", "blur:1,2 lowres:16", "--groups",
                       "skin_tone", "--out", out, "synth=synth:ids=8,per_id=5,size=32,seed=0", "head_steps=20",
                       "group_bootstrap=10", f"cache_dir={tmp_path / 'cache'}")
    assert code == 0, err
    assert (out / "robustness.csv").is_file()
    code, _, err = cli("report", out, "--out", tmp_path / "report.html")
    assert code == 0, err
    page, md = (tmp_path / "report.html").read_text(), (tmp_path / "report.md").read_text()
    assert re.findall(r'<figure class="degradation" data-task="(\w+)" data-corruptions="([^"]+)"', page) == [
        ("expression", "blur lowres")]
    assert re.findall(r'<figure class="groups" data-task="(\w+)" data-attributes="(\w+)"', page) == [
        ("expression", "skin_tone")]

    rec = pd.read_csv(out / "records.csv", keep_default_na=False)
    acc = rec[(rec.metric == "accuracy") & (rec["mode"] == "linear")]
    blur2 = acc[(acc.corruption == "blur") & (acc.severity.astype(str) == "2") & (acc.group == "")]["value"]
    row = re.search(r"^\| blur 2 \| ([0-9.]+) \|$", md, re.MULTILINE)  # one seed: no CI
    assert row and float(row.group(1)) == round(blur2.mean(), 3)
    assert re.search(r"^\| lowres 16 \| ", md, re.MULTILINE) and re.search(r"^\| clean \| ", md, re.MULTILINE)
    groups = acc[acc.group.str.startswith("skin_tone=") & (acc.seed == 0)]
    counts = {g.split("=")[1]: int(float(n)) for g, n in zip(groups.group, groups.n_group)}
    assert sum(counts.values()) == int(acc["n_test"].iloc[0])  # every test sample falls in one group
    for name, n in counts.items():  # each group's row shows its count
        assert re.search(rf"^\| skin_tone={name} \| {n} \| ", md, re.MULTILINE), name
    assert re.search(r"^\| gap \(best − worst\) \|  \| [0-9.]+", md, re.MULTILINE)
    assert re.search(r"^\| timm:resnet18 \| expression \|(.*\|)? blur \|", md, re.MULTILINE)  # robustness.csv, with its backbone
