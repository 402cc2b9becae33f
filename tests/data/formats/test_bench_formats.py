"""``facerep bench --data TASK=FORMAT:PATH`` on a fixture of every registered format (official layout), on
every task its labels serve, through the CLI, and ``facerep pretrain`` on the formats that declare no labels.
Tiny model, 32-px crops, one fraction, one seed."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from format_fixtures import WRITERS, write_imagefolder

from facerep.bench.tasks import get_task, list_tasks
from facerep.data.formats import FORMATS, list_formats, load_dataset

LABELLED = [f for f in list_formats() if FORMATS.get(f).provides]  # every registered format with label kinds
UNLABELLED = [f for f in list_formats() if not FORMATS.get(f).provides]  # pre-training data


# fixtures benched on fewer tasks than their labels serve, and why (every other format: all it serves)
NARROWED = {
    # landmarks2d records its primary metric (nme_interocular) only for schemes with eye corners, not for the 5
    # points of CelebA and manifests or LaPa's 106; recognition: CelebA's fixture has 6 test pairs, fewer than the
    # 10 verification folds (metrics.verification_accuracy raises a bare ValueError)
    "celeba": ["attributes"],
    "lapa": ["parsing"],
    "manifest": ["recognition"],
}


def tasks_served(spec: str) -> list[str]:
    """The tasks whose label kinds the opened dataset provides."""
    provides = set(load_dataset(spec).info.provides)
    return [t for t in list_tasks() if get_task(t).needs <= provides]


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
        # a dataset's own verification pairs are its test set; with no image outside them, no head is trained
        trained = (rows["n_train"] > 0).all() or (rows["mode"] == "unsupervised").all()
        assert trained and (rows["n_test"] > 0).all()
        assert (rows["dataset"] == spec).all()


@pytest.mark.parametrize("fmt", LABELLED)
def test_bench_runs_on_every_format(fmt, cli, tmp_path):
    assert fmt in WRITERS, f"format {fmt!r} has no fixture in tests/data/formats/format_fixtures.py"
    spec = WRITERS[fmt](tmp_path / "data")
    served = tasks_served(spec)
    assert served, f"{spec}: its labels serve no task"
    tasks = NARROWED.get(fmt, served)
    assert set(tasks) <= set(served), f"{fmt}: NARROWED names a task its fixture does not serve"
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


@pytest.mark.parametrize("fmt", UNLABELLED)
def test_pretrain_on_pretraining_formats(fmt, cli, tmp_path):
    assert fmt in WRITERS, f"format {fmt!r} has no fixture in tests/data/formats/format_fixtures.py"
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
