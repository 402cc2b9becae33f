"""Progress output of a run as a user sees it (a subprocess at 80 columns): one display per stage of a sweep
(pre-training, bench) whose counter spans every cell of that stage, pre-training's own step, rate and loss,
lines that fit the terminal, and no third-party banners or warnings unless ``--verbose``."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = """name: tiny
pretrain:
  - method: simclr
    data: ["synth:ids=8,per_id=2,size=32,seed=1"]
    backbone: timm:test_resnet
    options: {steps: 2, batch_size: 4, image_size: 32, num_workers: 0, accelerator: cpu,
              simclr: {proj_hidden_dim: 32, proj_dim: 16}}
evaluate:
  tasks: [pose]
  seeds: [0, 1]
  fractions: [1.0]
  baselines: [random:timm:test_resnet]
  options: {image_size: 32, synth: "synth:ids=10,per_id=3,size=32,seed=0"}
"""
BANNERS = ("GPU available", "TPU available", "Tip:", "litlogger", "LeafSpec", "Trainer.fit", "Warning")


def facerep(*args: str, cache: Path) -> str:
    script = Path(sys.executable).parent / "facerep"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "HF_HUB_OFFLINE": "1",
           "FACEREP_CACHE": str(cache)}
    res = subprocess.run([str(script), *args], check=False, capture_output=True, text=True, timeout=600,
                         env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout + res.stderr


def test_a_sweep_shows_one_display_per_stage_at_80_columns(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC)
    text = facerep("sweep", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out"),
                   cache=tmp_path / "cache")
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert not any(b in text for b in BANNERS), text
    assert not re.search(r"cell \d+/\d+", text), text  # no per-phase cell counter
    summary = r"^pre-training simclr: 2 steps in \d+ s, [\d.]+ images/s, loss [\d.]+ -> [\d.]+$"
    assert re.search(summary, text, re.MULTILINE)
    stages = [line for line in lines if "━" in line]
    assert len(stages) == 2, text
    assert stages[0].startswith("pre-training") and " 1/1 " in stages[0]
    # one counter over the evaluations of the baseline (phase 0) and of the pre-trained backbone (phase 1)
    assert stages[1].startswith("bench") and " 4/4 " in stages[1]
    assert re.search(r"[\d.]+ (s/cell|cell/s)", stages[1])


def test_verbose_lets_lightning_banners_through(tmp_path: Path) -> None:
    args = ["pretrain", "--method", "simclr", "--backbone", "timm:test_resnet", "--data",
            "synth:ids=4,per_id=2,size=32", "--steps", "1", "--batch-size", "4", "--image-size", "32",
            "--num-workers", "0", "--accelerator", "cpu", "simclr.proj_hidden_dim=32", "simclr.proj_dim=16"]
    quiet = facerep(*args, "--out", str(tmp_path / "a"), cache=tmp_path / "cache")
    assert "GPU available" not in quiet
    assert re.search(r"pre-training simclr +loss [\d.]+ .* 1/1 .*(img/s|s/img)", quiet), quiet
    verbose = facerep("--verbose", *args, "--out", str(tmp_path / "b"), cache=tmp_path / "cache")
    assert "GPU available" in verbose
