"""``facerep redundancy-study``: redundancy of tiny synthetic clips, the same pre-training on all vs
deduplicated frames, the bench of both and of random init; a rerun recomputes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from facerep.config import RedundancyStudyConfig, resolve_config
from facerep.curate.study import ALL, DEDUP, RANDOM, STUDY_COLUMNS, study_spec
from facerep.data.formats import load_dataset
from facerep.sweep.spec import load_spec

VIDEO = "synth:ids=3,per_id=2,video_frames=6,size=32,seed=1"  # 6 clips x 6 frames
TINY = [
    f"video_data={VIDEO}",
    "backbone=timm:test_resnet",
    "image_size=32",
    "steps=3",
    "batch_size=8",
    "pretrain_options.checkpoint_every=3",
    "bench_data=synth:ids=8,per_id=4,size=32,seed=0",
    "tasks=[pose,expression]",
    "fractions=[1.0]",
    "seeds=[0,1]",
]


@pytest.fixture
def tiny_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FACEREP_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _mtimes(out: Path) -> dict[str, int]:
    files = [
        *out.glob("cells/*/backbone/backbone.safetensors"),
        *out.glob("cells/*/backbone/checkpoints/*.ckpt"),
        *out.glob("cells/*/done"),
        *out.glob("redundancy/*/dedup/manifest.parquet"),
    ]
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in files}


def test_study_runs_end_to_end_and_a_rerun_recomputes_nothing(tiny_cache: Path, cli) -> None:
    out = tiny_cache / "study"
    code, text, err = cli("--quiet", "redundancy-study", "--out", out, *TINY)
    assert code == 0, err[-3000:]
    assert f"study: {(out / 'study.csv').resolve()}" in " ".join(text.split()).replace("\n", "")
    info = json.loads((out / "study.json").read_text())
    # (a) redundancy: every clip drifts smoothly, so near-duplicates exist and dedup keeps fewer faces
    all_frames = len(load_dataset(VIDEO))
    (stage,) = [json.loads(p.read_text()) for p in out.glob("redundancy/*/stage.json")]
    dedup = pd.read_parquet(stage["manifest"])
    assert info["faces"] == all_frames == 36
    assert 0 < len(dedup) == stage["kept"] == info["groups"] < all_frames
    assert info["redundancy"] == pytest.approx(1 - len(dedup) / all_frames)
    curve = info["effective_size"]
    assert [c["faces"] for c in curve[:3]] == [36, 18, 12]  # every 1st, 2nd, 4th frame of 6-frame clips
    assert all(c["effective"] <= min(c["faces"], info["groups"]) for c in curve)
    # (b) both runs trained the stated steps on the stated images (the data each run got: its backbone.json)
    df = pd.read_csv(out / "study.csv")
    assert list(df.columns) == STUDY_COLUMNS
    runs = {
        json.loads(p.read_text())["data"]: json.loads(p.read_text())
        for p in out.glob("cells/*/backbone/backbone.json")
    }
    assert set(runs) == {VIDEO, f"manifest:{stage['manifest']}"}
    for name, data in ((ALL, VIDEO), (DEDUP, f"manifest:{stage['manifest']}")):
        rows = df[df["backbone"] == name]
        assert set(rows["pretrain_images"]) == {len(load_dataset(data))}
        assert set(rows["steps"]) == {runs[data]["steps"]} == {3}
        assert (rows["pretrain_seconds"] > 0).all()
    assert set(df.loc[df["backbone"] == ALL, "pretrain_images"]) == {all_frames}
    assert set(df.loc[df["backbone"] == DEDUP, "pretrain_images"]) == {len(dedup)}
    # (c) all three backbones on every task and fraction, same protocol, primary metric over 2 seeds
    for backbone in (ALL, DEDUP, RANDOM):
        rows = df[df["backbone"] == backbone]
        assert sorted(rows["task"]) == ["expression", "pose"]
        assert (
            (rows["n_seeds"] == 2).all() and rows["mean"].notna().all() and (rows["bench_seconds"] > 0).all()
        )
    assert set(df.loc[df["task"] == "pose", "metric"]) == {"mae"}
    assert df.loc[df["backbone"] == RANDOM, ["pretrain_images", "steps"]].eq(0).all().all()
    # (d) a rerun reuses every stage: no file of a finished stage is rewritten, study.csv is the same
    before, csv = _mtimes(out), (out / "study.csv").read_bytes()
    assert (
        len(before) == 2 + 2 + 2 + 3 * 2 * 2 + 1
    )  # backbones, checkpoints, done markers (pretrain, eval), manifest
    code, _, err = cli("--quiet", "redundancy-study", "--out", out, *TINY)
    assert code == 0, err[-3000:]
    assert _mtimes(out) == before
    assert (out / "study.csv").read_bytes() == csv


def test_no_near_duplicates_is_a_clear_error(tiny_cache: Path, cli) -> None:
    code, _, err = cli(
        "--quiet", "redundancy-study", "--out", tiny_cache / "s", *TINY, "redundancy.threshold=1.0"
    )
    assert code == 2
    assert "no near-duplicates" in err and "lower redundancy.threshold" in err
    assert not (tiny_cache / "s" / "cells").exists()  # nothing was pre-trained


def test_study_spec_pretrains_the_same_run_on_both_datasets(tmp_path: Path) -> None:
    cfg = resolve_config(RedundancyStudyConfig, overrides=["tasks=[pose,expression]"])
    manifest = tmp_path / "dedup.parquet"
    manifest.write_bytes(b"")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(study_spec(cfg, str(manifest))))
    spec = load_spec(path)
    pre = [c for c in spec.cells if c.kind == "pretrain"]
    assert [c.label for c in pre] == [ALL, DEDUP]
    a, b = (dict(c.config) for c in pre)
    assert (a.pop("data"), b.pop("data")) == (cfg.video_data, f"manifest:{manifest}")
    assert a == b and a["steps"] == cfg.steps and a["method"] == cfg.method and a["seed"] == cfg.seed
    evals = [c for c in spec.cells if c.kind == "eval"]
    assert len(evals) == 3 * 2 * len(cfg.seeds)  # (random, all, dedup) x tasks x seeds
    assert {c.config["label"] for c in evals} == {ALL, DEDUP, "random:" + cfg.backbone}
    assert {c.config["bench"]["synth"] for c in evals} == {cfg.bench_data}  # still images, not the clips
    assert "video_frames" not in cfg.bench_data
