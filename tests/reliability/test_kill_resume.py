"""SIGKILL ``facerep pretrain`` and ``facerep bench`` part way (a subprocess), rerun the same command, and get
the outputs of an uninterrupted run, with no temp or partial file left behind.

pretrain: killed once its first checkpoint exists; ``--resume`` continues from the latest checkpoint and the
final backbone.safetensors equals an uninterrupted run's tensor for tensor (CPU, one thread, seeded).
bench: killed once the features of its first dataset are cached; the rerun reuses that cache entry (fewer
images encoded) and writes the same records.csv (all columns but ``seconds``).
(``facerep curate`` and ``facerep sweep`` have theirs in tests/curate and tests/sweep.)
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from safetensors.torch import load_file

from . import corpus

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def _faces(root: Path, ids: int = 4, per_id: int = 4) -> Path:
    for i in range(ids):
        (root / f"id{i}").mkdir(parents=True, exist_ok=True)
        for k in range(per_id):
            corpus.good_rgb(40).save(root / f"id{i}" / f"{k}.png")
    return root


def _temps(*dirs: Path) -> list[Path]:
    """Files or folders that an atomic write or a cache entry leaves only when interrupted."""
    return [p for d in dirs if d.exists() for p in d.rglob(".*") if ".tmp" in p.name or p.is_dir()]


def _kill_when(cmd: list[str], ready, timeout: float = 240.0) -> int:
    """Start ``facerep CMD`` in a subprocess, SIGKILL it as soon as ``ready()``, and check that it was killed."""
    proc = subprocess.Popen([sys.executable, "-m", "facerep.cli", *cmd], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"finished before it could be killed: {err.decode()[-2000:]}"
    return proc.pid


def _pretrain_args(data: Path, out: Path) -> list[str]:
    return ["-q", "pretrain", "--method", "simclr", "--backbone", "timm:test_resnet", "--data", f"imagefolder:{data}",
            "--steps", "16", "--batch-size", "8", "--image-size", "32", "--out", str(out), "--num-workers", "0",
            "--accelerator", "cpu", "--seed", "3", "checkpoint_every=2", "simclr.proj_hidden_dim=32",
            "simclr.proj_dim=16", "warmup_steps=2"]


def test_pretrain_sigkill_then_resume_equals_uninterrupted(cli, tmp_path):
    data = _faces(tmp_path / "faces")
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    ckpts = killed / "checkpoints"
    _kill_when(_pretrain_args(data, killed), lambda: any(ckpts.glob("step-*.ckpt")))
    assert not (killed / "backbone.safetensors").exists()
    done = sorted(p.name for p in ckpts.glob("step-*.ckpt"))
    assert done and "step-00000016.ckpt" not in done
    (ckpts / ".step-00000099.ckpt.x1y2.tmp.ckpt").write_bytes(b"half a checkpoint")  # as if killed mid-write

    code, _, err = cli(*_pretrain_args(data, killed), "--resume")
    assert code == 0, err
    code, _, err = cli(*_pretrain_args(data, whole))
    assert code == 0, err
    a, b = load_file(killed / "backbone.safetensors"), load_file(whole / "backbone.safetensors")
    assert a.keys() == b.keys() and len(a) > 10
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert _temps(killed) == []
    for ckpt in ckpts.glob("*.ckpt"):  # every checkpoint left is whole and loads without unpickling code
        assert torch.load(ckpt, weights_only=True)["global_step"] > 0


def _bench_args(faces: Path, lm: Path, out: Path, cache: Path) -> list[str]:
    return ["-q", "bench", "--backbone", "timm:test_resnet", "--tasks", "recognition,landmarks2d",
            "--data", f"recognition=imagefolder:{faces}", "--data", f"landmarks2d=300w:{lm}",
            "--image-size", "32", "--seeds", "0,1", "--out", str(out), "head_steps=40", "n_pairs=40",
            f"cache_dir={cache}"]


def test_bench_sigkill_then_rerun_equals_uninterrupted(cli, tmp_path):
    faces = _faces(tmp_path / "faces", ids=5)
    lm = tmp_path / "lm"
    corpus.ibug_dataset(lm, n_good=24)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    cache = tmp_path / "cache"
    pid = _kill_when(_bench_args(faces, lm, killed, cache), lambda: any(cache.glob("*/meta.json")))
    assert not (killed / "records.csv").exists()
    entries = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert 1 <= len(entries) <= 2  # under load the second dataset may finish before the kill lands
    # a half-written entry of the killed process (as if killed one moment later), and one of a live process
    (dead := cache / f".{'0' * 32}.{socket.gethostname()}.{pid}.ab12").mkdir()
    (dead / "pooled.npy").write_bytes(b"half")
    (live := cache / f".{'1' * 32}.{socket.gethostname()}.{os.getpid()}.cd34").mkdir()

    code, out_k, err = cli(*_bench_args(faces, lm, killed, cache))
    assert code == 0, err
    code, out_w, err = cli(*_bench_args(faces, lm, whole, tmp_path / "cache-whole"))
    assert code == 0, err
    encoded = [int(o.split("features encoded this run: ")[1].split()[0]) for o in (out_k, out_w)]
    assert encoded[0] < encoded[1] and encoded[1] == 20 + 24  # the rerun reused the first dataset's features
    a = pd.read_csv(killed / "records.csv").drop(columns="seconds")
    b = pd.read_csv(whole / "records.csv").drop(columns="seconds")
    assert len(a) and set(a["task"]) == {"recognition", "landmarks2d"}
    pd.testing.assert_frame_equal(a, b)
    assert not dead.exists() and live.is_dir()  # a parallel run's entry in the making is left alone
    live.rmdir()
    assert _temps(killed, cache) == []
