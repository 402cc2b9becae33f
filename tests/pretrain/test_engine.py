"""The engine end to end through the API: outputs, corrupt samples, resume, 2-process DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import pandas as pd
import pytest
import torch
from pretrain_helpers import random_faces

from facerep.backbones import create_backbone
from facerep.config import PretrainConfig
from facerep.data.sample import ListDataset
from facerep.errors import ConfigError, DataError, MissingLabelsError
from facerep.pretrain.api import pretrain

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def quiet():
    from facerep import progress

    was, progress.QUIET = progress.QUIET, True
    yield
    progress.QUIET = was


class Corrupt(ListDataset):
    """Raises DataError (as a real format does on a broken file) for some indices."""

    def __init__(self, base: ListDataset, bad: set[int]) -> None:
        super().__init__(base.samples, base.info)
        self.bad = bad

    def __getitem__(self, i: int):
        if i in self.bad:
            raise DataError("cannot decode image (truncated)", f"face{i}.png")
        return super().__getitem__(i)


def losses(out: Path) -> pd.Series:
    """Per-step training loss from every CSV log of a run (a resumed run has two)."""
    frames = [pd.read_csv(p) for p in sorted((out / "logs").glob("version_*/metrics.csv"))]
    df = pd.concat(frames).dropna(subset=["train/loss"])
    return df.set_index("step")["train/loss"].sort_index()


def test_outputs_load_as_backbone_and_corrupt_samples_are_skipped(make_cfg):
    cfg = make_cfg("simclr", steps=2, num_workers=1)
    out = pretrain(cfg, dataset=Corrupt(random_faces(8), bad={1, 5}))
    meta = json.loads((out / "backbone.json").read_text())
    assert meta["method"] == "simclr" and meta["steps"] == 2 and meta["seed"] == 0
    assert meta["pretrained_cfg"]["input_size"] == 32 and "facerep_version" in meta
    # 2 steps × 4 samples of an 8-sample shuffled stream meet both bad indices exactly once
    assert meta["skipped_samples"] == 2
    assert any("face1.png" in m for m in meta["skipped_examples"])
    assert (out / "config.yaml").is_file() and (out / "checkpoints" / "step-00000002.ckpt").is_file()
    loaded = create_backbone(str(out))
    ckpt = torch.load(out / "checkpoints" / "step-00000002.ckpt", weights_only=True)
    trained = {
        k[len("method.backbone.") :]: v
        for k, v in ckpt["state_dict"].items()
        if k.startswith("method.backbone.")
    }
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, trained[k]), k
    assert losses(out).shape[0] == 2


class StopAt(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step >= self.step:
            trainer.should_stop = True


def test_resume_continues_the_same_trajectory(make_cfg, tmp_path):
    over = ("swav.freeze_prototypes_steps=5", "swav.queue_length=8", "swav.queue_start_step=4")
    data = random_faces(12)
    full = pretrain(
        make_cfg("swav", *over, steps=20, checkpoint_every=10, out=str(tmp_path / "full")), dataset=data
    )
    part_cfg = make_cfg("swav", *over, steps=20, checkpoint_every=10, out=str(tmp_path / "part"))
    part = pretrain(part_cfg, dataset=data, callbacks=[StopAt(10)])
    assert json.loads((part / "backbone.json").read_text())["steps"] == 10
    ckpt10 = torch.load(part / "checkpoints" / "step-00000010.ckpt", weights_only=True)
    adam = ckpt10["optimizer_states"][0]["state"]
    assert adam and all(float(s["exp_avg"].abs().sum()) > 0 for s in adam.values() if "exp_avg" in s)
    assert ckpt10["lr_schedulers"][0]["last_epoch"] == 10
    with pytest.raises(ConfigError, match="already holds checkpoints"):
        pretrain(part_cfg, dataset=data)
    part_cfg.resume, part_cfg.num_workers = True, 2  # worker count must not change the data order
    pretrain(part_cfg, dataset=data)
    a, b = losses(full), losses(part)
    assert list(a.index) == list(range(20)) and list(b.index) == list(range(20))
    assert torch.allclose(torch.tensor(a.values), torch.tensor(b.values), rtol=1e-4, atol=1e-5), (
        a.values,
        b.values,
    )
    wa = create_backbone(str(full)).state_dict()
    wb = create_backbone(str(part)).state_dict()
    assert json.loads((part / "backbone.json").read_text())["steps"] == 20
    for k in wa:
        assert torch.allclose(wa[k].float(), wb[k].float(), atol=1e-5), k


@pytest.mark.parametrize("keep", [1, 2])
def test_only_the_last_checkpoints_are_kept(make_cfg, keep):
    """``keep_checkpoints`` full checkpoints stay (the latest); the default keeps one (each holds the
    optimizer state too, ~3x the weights)."""
    cfg = make_cfg("simclr", steps=6, checkpoint_every=2, keep_checkpoints=keep)
    assert PretrainConfig().keep_checkpoints == 1
    out = pretrain(cfg, dataset=random_faces(8))
    kept = sorted(p.name for p in (out / "checkpoints").glob("*.ckpt"))
    assert kept == ["step-00000004.ckpt", "step-00000006.ckpt"][-keep:]
    assert json.loads((out / "backbone.json").read_text())["checkpoints"] == kept


def test_bad_counts_name_the_flag_and_value(make_cfg):
    with pytest.raises(ConfigError, match="--steps must be a positive integer, got -5"):
        pretrain(make_cfg("simclr", steps=-5), dataset=random_faces(4))
    with pytest.raises(ConfigError, match="keep_checkpoints must be a positive integer, got 0"):
        pretrain(make_cfg("simclr", keep_checkpoints=0), dataset=random_faces(4))


def test_resume_without_checkpoint_is_refused(make_cfg):
    with pytest.raises(ConfigError, match="no checkpoint"):
        pretrain(make_cfg("swav", resume=True), dataset=random_faces(4))


def test_supervised_refuses_data_without_identities(make_cfg):
    with pytest.raises(MissingLabelsError, match="needs identity labels"):
        pretrain(make_cfg("supervised"), dataset=random_faces(4, identity=False))


def test_ddp_two_processes_keep_identical_weights(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run(
        [sys.executable, str(HERE / "ddp_run.py"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    start, r0, r1 = (
        torch.load(tmp_path / f, weights_only=True)
        for f in ("start-rank0.pt", "end-rank0.pt", "end-rank1.pt")
    )
    assert r0.keys() == r1.keys()
    for k in r0:
        assert torch.equal(r0[k], r1[k]), k
    assert any(not torch.equal(start[k], r0[k]) for k in r0 if r0[k].is_floating_point())
    meta = json.loads((tmp_path / "run" / "backbone.json").read_text())
    assert meta["steps"] == 3
