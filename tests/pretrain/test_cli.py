"""``facerep pretrain`` / ``facerep methods`` from the command line: a real run and clear one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pretrain_helpers import TINY_HEADS, random_faces

from facerep.pretrain.methods import list_methods


@pytest.fixture
def folder(tmp_path) -> Path:
    """imagefolder data: 2 identities × 3 faces, plus one truncated PNG."""
    rng = np.random.default_rng(0)
    root = tmp_path / "faces"
    for who in ("alice", "bob"):
        (root / who).mkdir(parents=True)
        for k in range(3):
            Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(root / who / f"{k}.png")
    (tmp_path / "expr" / "happy").mkdir(parents=True)
    for k in range(2):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(
            tmp_path / "expr" / "happy" / f"{k}.png"
        )
    good = (root / "bob" / "0.png").read_bytes()
    (root / "bob" / "broken.png").write_bytes(good[: len(good) // 3])
    return root


def base_args(tmp_path: Path, method: str = "simclr", backbone: str = "timm:test_resnet") -> list[str]:
    return [
        "--quiet",
        "pretrain",
        "--method",
        method,
        "--backbone",
        backbone,
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--out",
        str(tmp_path / "out"),
        "--num-workers",
        "0",
        "--accelerator",
        "cpu",
    ]


def test_methods_lists_every_method(cli):
    code, out, _ = cli("methods")
    assert code == 0
    for name in list_methods():
        assert name in out
    assert "ViT backbone" in out and "identity labels" in out


def test_pretrain_runs_and_skips_the_corrupt_image(cli, tmp_path, folder):
    code, out, err = cli(*base_args(tmp_path), "--data", f"imagefolder:{folder}", *TINY_HEADS)
    assert code == 0, err
    meta = json.loads((tmp_path / "out" / "backbone.json").read_text())
    assert meta["method"] == "simclr" and meta["data"] == f"imagefolder:{folder}" and meta["steps"] == 2
    assert meta["skipped_samples"] >= 1 and "broken.png" in meta["skipped_examples"][0]
    assert "facerep bench --backbone" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "swaw"], "unknown pre-training method 'swaw'. Did you mean 'swav'?"),
        (["--method", "mae"], "needs a ViT backbone"),
        (
            ["--method", "supervised", "--data", "imagefolder:{expr}?label=expression"],
            "needs identity labels",
        ),
        (["--devices", "2", "--batch-size", "3"], "batch size 3 cannot be split evenly over 2 processes"),
        (["--precision", "8"], "precision must be one of"),
        (["swav.no_such_key=1"], "no_such_key"),
        (["--resume"], "no checkpoint"),
    ],
)
def test_bad_input_gets_one_clear_line(cli, tmp_path, folder, args, message):
    args = [a.replace("{expr}", str(folder.parent / "expr")) for a in args]
    full = base_args(tmp_path) + ["--data", f"imagefolder:{folder}"]
    code, _, err = cli(*full, *args)
    assert code == 2
    # (Lightning's own logging may also write to stderr; the facerep error itself is one line)
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], err


def test_public_api_facerep_pretrain_is_callable(make_cfg):
    import facerep
    import facerep.pretrain.api  # binds the subpackage as facerep.pretrain

    out = facerep.pretrain(make_cfg("supervised", steps=1), dataset=random_faces(4))
    assert (out / "backbone.safetensors").is_file()
