"""``facerep bench --data TASK=FORMAT:PATH`` on a fixture of every format (official layout), through the CLI, and
``facerep pretrain`` on the two pre-training-only formats. Tiny model, 32-px crops, one fraction, one seed."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from format_fixtures import WRITERS, write_imagefolder

from facerep.bench.tasks import get_task

# format -> tasks it provides labels for (one bench run per format, every task in it)
BENCH = {
    "300w": ["landmarks2d"], "wflw": ["landmarks2d"], "cofw": ["landmarks2d"],
    "aflw2000-3d": ["landmarks3d", "pose"], "coco-keypoints": ["landmarks2d"],
    "lapa": ["parsing"], "celebamask-hq": ["parsing"], "segfolder": ["parsing"], "helen": ["parsing"],
    "disfa": ["au"], "bp4d": ["au_occurrence"],
    "affectnet": ["expression"], "rafdb": ["expression"], "fer2013": ["expression"], "ckplus": ["expression"],
    "imagefolder": ["recognition"], "pairs": ["recognition"], "celeba": ["attributes"],
}
TINY = ["--backbone", "timm:test_resnet", "--image-size", "32", "--fractions", "1.0", "--seeds", "0"]
FAST = ["head_steps=5", "batch_size=32", "n_pairs=20", "dense_strides=[8]", "dense_grid=2", "global_grid=0",
        "trivial=false"]


def run_bench(cli, tmp_path, data: list[str], tasks: list[str]) -> pd.DataFrame:
    out = tmp_path / "out"
    args = ["--quiet", "bench", *TINY, "--tasks", ",".join(tasks), "--out", out]
    for d in data:
        args += ["--data", d]
    code, _, err = cli(*args, *FAST, f"cache_dir={tmp_path / 'cache'}")
    assert code == 0, err
    return pd.read_csv(out / "records.csv")


def check_records(df: pd.DataFrame, tasks: list[str], spec: str) -> None:
    for task in tasks:
        metric, _ = get_task(task).primary
        rows = df[(df.task == task) & (df.metric == metric)]
        assert len(rows) == 1, (task, sorted(set(df.metric)))
        assert np.isfinite(rows["value"]).all(), (task, rows)
        assert (rows["n_train"] > 0).all() and (rows["n_test"] > 0).all()
        assert (rows["dataset"] == spec).all()


@pytest.mark.parametrize("fmt", sorted(BENCH))
def test_bench_runs_on_every_format(fmt, cli, tmp_path):
    spec = WRITERS[fmt](tmp_path / "data")
    tasks = BENCH[fmt]
    df = run_bench(cli, tmp_path, [f"{t}={spec}" for t in tasks], tasks)
    check_records(df, tasks, spec)


def test_bench_imagefolder_as_expression(cli, tmp_path):
    spec = write_imagefolder(tmp_path / "data", n=4, per_class=4, label="expression")
    check_records(run_bench(cli, tmp_path, [f"expression={spec}"], ["expression"]), ["expression"], spec)


def test_bench_coco_keypoints_with_unlabelled_points(cli, tmp_path):
    """COCO v = 0 points (not labelled) are carried as NaN and left out of the NME; the bench runs on them."""
    spec = WRITERS["coco-keypoints"](tmp_path / "data", unlabelled=3)
    df = run_bench(cli, tmp_path, [f"landmarks2d={spec}"], ["landmarks2d"])
    check_records(df, ["landmarks2d"], spec)


@pytest.mark.parametrize("fmt", ["frl-hdf5", "webdataset"])
def test_pretrain_on_pretraining_formats(fmt, cli, tmp_path):
    spec = WRITERS[fmt](tmp_path / "data")
    out = tmp_path / "out"
    code, _, err = cli("--quiet", "pretrain", "--method", "simclr", "--backbone", "timm:test_resnet", "--steps", "2",
                       "--batch-size", "4", "--image-size", "32", "--out", out, "--num-workers", "0",
                       "--accelerator", "cpu", "--data", spec, "simclr.proj_hidden_dim=32", "simclr.proj_dim=16")
    assert code == 0, err
    meta = json.loads((out / "backbone.json").read_text())
    assert meta["data"] == spec and meta["steps"] == 2 and meta["skipped_samples"] == 0


def test_bench_pairs_too_few_test_pairs_is_a_clear_error(cli, tmp_path):
    spec = WRITERS["pairs"](tmp_path / "data", n=3, per_id=2)
    code, _, err = cli("--quiet", "bench", *TINY, "--tasks", "recognition", "--data", f"recognition={spec}",
                       "--out", tmp_path / "out", *FAST, f"cache_dir={tmp_path / 'cache'}")
    assert code == 2 and "Traceback" not in err
    assert "verification pairs have both images in the test split" in err and "needs at least 10" in err
