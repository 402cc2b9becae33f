"""End-to-end bench runs on a tiny synthetic set: every task, outputs, determinism, cache reuse, modes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facerep.bench import features
from facerep.bench.api import bench, make_config
from facerep.bench.tasks import ALL_TASKS, get_task
from facerep.report.records import RECORD_COLUMNS


@pytest.fixture(scope="module")
def linear_run(tmp_path_factory, bench_cache):
    from tests.bench.conftest import TINY_SYNTH

    out = tmp_path_factory.mktemp("bench")
    cfg = make_config(dict(image_size=32, fractions=[0.5, 1.0], seeds=[0, 1], head_steps=40,
                           cache_dir=str(bench_cache), synth=TINY_SYNTH, n_pairs=200, out=str(out)))
    before = features.FORWARD_COUNT["images"]
    df, result = bench(cfg)
    return cfg, df, result, features.FORWARD_COUNT["images"] - before


def test_every_task_writes_records(linear_run):
    cfg, df, result, _ = linear_run
    assert list(df.columns[:len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS)
    assert set(df["task"]) == set(ALL_TASKS)
    for task in ALL_TASKS:
        metric, _ = get_task(task).primary
        rows = df[(df.task == task) & (df.metric == metric) & (df["mode"] == "linear")]
        assert len(rows) == 4, task  # 2 fractions x 2 seeds
        assert np.isfinite(rows["value"]).all(), task
        assert (rows["n_test"] > 0).all() and (rows["n_train"] > 0).all()
    # nested subsets: 0.5 uses fewer training samples than 1.0
    lm = df[(df.task == "landmarks2d") & (df.metric == "nme_interocular") & (df["mode"] == "linear")]
    assert lm[lm.fraction == 0.5]["n_train"].max() < lm[lm.fraction == 1.0]["n_train"].min()
    out = pd.read_csv(f"{cfg.out}/records.csv")
    assert len(out) == len(df)
    for name in ("records.parquet", "config.yaml", "summary.csv"):
        assert (pd.io.common.file_exists(f"{cfg.out}/{name}")), name
    summary = pd.read_csv(f"{cfg.out}/summary.csv")
    row = summary[(summary.task == "pose") & (summary.metric == "mae") & (summary["mode"] == "linear")
                  & (summary.fraction == 1.0)].iloc[0]
    vals = lm = df[(df.task == "pose") & (df.metric == "mae") & (df["mode"] == "linear") & (df.fraction == 1.0)]["value"]
    assert row["mean"] == pytest.approx(vals.mean()) and row["n_seeds"] == 2


def test_metric_names_are_the_documented_ones(linear_run):
    df = linear_run[1]
    names = set(df["metric"])
    for m in ("nme_interpupil", "nme_box_diag", "nme_box", "fr_0.08", "auc_0.10", "ced_0.050", "nme_box_3d",
              "miou", "f1_skin", "pearson", "mae_au12", "macro_f1", "confusion_0_0", "ccc_valence", "rmse_arousal",
              "mean_accuracy", "balanced_accuracy_smiling", "mae_yaw", "roc_auc", "tar@far=1e-2", "rank1"):
        assert m in names, m


def test_same_command_gives_identical_records(linear_run, tmp_path):
    """Determinism: everything but the wall-clock ``seconds`` column is identical; the rerun reads the cache."""
    cfg, df, _, forwarded_first = linear_run
    cfg2 = make_config(cfg, out=str(tmp_path))
    before = features.FORWARD_COUNT["images"]
    df2, result2 = bench(cfg2)
    assert features.FORWARD_COUNT["images"] == before  # no backbone forward at all
    assert result2.forwarded == 0
    cols = [c for c in df.columns if c != "seconds"]
    pd.testing.assert_frame_equal(df[cols].reset_index(drop=True), df2[cols].reset_index(drop=True))


def test_cache_is_memory_mapped_float16(linear_run, bench_cache):
    entries = [p for p in bench_cache.iterdir() if (p / "meta.json").is_file()]
    assert entries
    arr = np.load(entries[0] / "dense.npy", mmap_mode="r")
    assert isinstance(arr, np.memmap) and arr.dtype == np.float16 and arr.ndim == 4


def test_shots_and_knn(small, tmp_path):
    cfg = make_config(dict(small, fractions=[], shots=[1, 2], mode="knn", tasks=["expression", "recognition", "parsing"],
                           out=str(tmp_path)))
    df, result = bench(cfg)
    assert set(df["task"]) == {"expression", "recognition"}
    assert any("parsing" in n for n in result.notes)  # dense task skipped in knn mode, with a note
    expr = df[(df.task == "expression") & (df.metric == "accuracy") & (df["mode"] == "knn")]
    assert sorted(expr["shots"]) == [1, 2] and expr["fraction"].isna().all()
    n_classes = df[(df.task == "expression") & (df["mode"] == "knn")].groupby("shots")["n_train"].first()
    assert n_classes[2] > n_classes[1]


def test_finetune_runs_and_flips(small, tmp_path):
    cfg = make_config(dict(small, mode="finetune", tasks=["landmarks2d", "pose"], finetune_epochs=1, out=str(tmp_path)))
    df, _ = bench(cfg)
    lm = df[(df.task == "landmarks2d") & (df.metric == "nme_interocular") & (df["mode"] == "finetune")]
    assert len(lm) == 1 and np.isfinite(lm["value"]).all()


def _primary(df, task, mode):
    metric, direction = get_task(task).primary
    rows = df[(df.task == task) & (df.metric == metric) & (df["mode"] == mode) & (df.fraction == 1.0)]
    return rows["value"].mean(), direction


@pytest.mark.parametrize("task", ["recognition", "parsing"])
def test_trained_head_beats_trivial_baseline(linear_run, task):
    """At this test's scale (60 faces of 48 px, 32-px crops, random-init ResNet-18) the identity and parsing heads
    beat their trivial baselines (chance pairs; the majority class everywhere) by a wide margin. The must-show
    run at the default synth size checks all eight tasks (see the report)."""
    df = linear_run[1]
    trained, direction = _primary(df, task, "linear")
    trivial, _ = _primary(df, task, "trivial")
    assert trained > trivial + 0.05 if direction == "max" else trained < trivial - 0.05


@pytest.fixture(scope="module")
def medium_run(bench_cache):
    """192 faces of 64 px (24 identities), 48-px crops, random-init ResNet-18, all labels, one seed."""
    cfg = make_config(dict(image_size=48, fractions=[1.0], seeds=[0], cache_dir=str(bench_cache),
                           synth="synth:ids=24,per_id=8,size=64,seed=0"))
    return bench(cfg, write=False)[0]


@pytest.mark.parametrize("task", ["recognition", "landmarks2d", "landmarks3d", "parsing", "au", "attributes", "pose"])
def test_closed_form_heads_beat_trivial_baselines(medium_run, task):
    """With the closed-form heads (penalty by leave-one-identity-out error; held-out ICC for AU) seven tasks beat
    their trivial baselines (chance pairs, mean shape, majority class / value, mean intensity, mean pose) on unseen
    identities: errors at least 10 % lower, scores at least 0.03 higher (AU ICC 0.40 vs 0 on aligned crops).
    Expression needs larger crops: see the next test."""
    _assert_beats_trivial(medium_run, task, 0.03)


def _assert_beats_trivial(df, task: str, margin: float) -> None:
    metric, direction = get_task(task).primary
    rows = df[(df.task == task) & (df.metric == metric)]
    trained = rows[rows["mode"] == "linear"]["value"].mean()
    trivial = rows[rows["mode"] == "trivial"]["value"].mean()
    assert trained > trivial + margin if direction == "max" else trained < 0.9 * trivial


def test_expression_head_beats_the_majority_class_on_aligned_mirrored_crops(bench_cache):
    """The data of medium_run at 64-px crops: aligned crops, the stride-4 maps and mirrored training crops carry
    the expression of unseen identities linearly (accuracy 0.32 vs majority 0.23); at 48 px it is at majority."""
    cfg = make_config(dict(image_size=64, fractions=[1.0], seeds=[0], cache_dir=str(bench_cache), tasks=["expression"],
                           synth="synth:ids=24,per_id=8,size=64,seed=0"))
    _assert_beats_trivial(bench(cfg, write=False)[0], "expression", 0.05)
