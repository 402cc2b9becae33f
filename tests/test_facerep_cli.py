"""The installed ``facerep`` entry point (facerep/cli.py; a file name unique in tests/, whose folders are not
packages): usage mistakes print click's short usage message and exit 2 (no traceback), whatever copy of click
typer runs on; ``--help`` shows defaults and no ``<bool>`` value type; look-ups and bad values get clear
messages."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def facerep_script() -> str:
    """The console script installed next to this Python (the entry point a user runs)."""
    script = Path(sys.executable).parent / "facerep"
    if not script.is_file():
        pytest.fail(f"no facerep console script next to {sys.executable}: install with pip install -e .")
    return str(script)


def run_facerep(*args: str, columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([facerep_script(), *args], check=False, capture_output=True, text=True, timeout=120,
                          env=env, cwd=ROOT)


@pytest.mark.parametrize(("args", "message"), [
    (["bench", "--fraction", "0.1"], "No such option: --fraction"),
    (["bnech"], "No such command 'bnech'"),
    (["show"], "Missing argument"),
])
def test_usage_errors_print_a_short_usage_message(args: list[str], message: str) -> None:
    res = run_facerep(*args)
    text = res.stdout + res.stderr
    assert res.returncode == 2, text
    assert "Traceback" not in text and 'File "' not in text, text
    assert message in res.stderr and "Usage: facerep" in res.stderr, text
    assert len(text.strip().splitlines()) <= 6, text


def test_the_misspelled_command_gets_a_suggestion() -> None:
    assert "Did you mean 'bench'?" in run_facerep("bnech").stderr


def test_help_shows_config_defaults_and_no_bool_type() -> None:
    res = run_facerep("bench", "--help", columns=200)
    assert res.returncode == 0, res.stderr
    assert "<bool>" not in res.stdout
    lines = {ln.split()[1]: ln for ln in res.stdout.splitlines() if ln.strip("│ ").startswith("--")}
    assert "default: (timm:resnet18)" in lines["--backbone"], lines["--backbone"]
    assert "default: (runs/bench)" in lines["--out"]
    assert "<int>" in lines["--image-size"] and "default: (112)" in lines["--image-size"]
    assert "default" not in lines["--skip-bad"]  # a flag: off unless given
    root = run_facerep("--help", columns=200)
    assert root.returncode == 0 and "<bool>" not in root.stdout and "--verbose" in root.stdout


def test_a_bare_word_lists_timm_models_containing_it() -> None:
    res = run_facerep("backbones", "resnet", columns=200)
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("timm models"))
    assert re.match(r"timm models containing 'resnet' \((\d+)\):", line) and "timm:resnet18," in line
    assert int(re.search(r"\((\d+)\)", line).group(1)) > 50


def test_bad_values_name_the_flag_and_suggest(tmp_path: Path) -> None:
    res = run_facerep("pretrain", "--steps", "-5", "--out", str(tmp_path / "p"))
    assert res.returncode == 2 and "--steps must be a positive integer, got -5" in res.stderr, res.stderr
    res = run_facerep("bench", "image_sise=64", "--out", str(tmp_path / "b"))
    assert res.returncode == 2 and "did you mean image_size?" in res.stderr, res.stderr
    res = run_facerep("bench", "--backbone", "timm:resnet_nope", "--tasks", "pose", "--out",
                      str(tmp_path / "b"))
    assert res.returncode == 2 and "similar: resnet18, resnet26, resnet34, resnet50" in res.stderr, res.stderr


def test_bench_checks_every_dataset_first_and_says_where_it_writes(tmp_path: Path) -> None:
    """A bad --data of the last task fails before the first task runs; without --backbone / --out the bench
    says which backbone it uses and where it writes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "HF_HUB_OFFLINE": "1",
           "FACEREP_CACHE": str(tmp_path / "cache")}
    cmd = [facerep_script(), "bench", "--tasks", "pose,parsing", "--data", "parsing=lapa:/no/such/LaPa"]
    res = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "data path '/no/such/LaPa' (in 'lapa:/no/such/LaPa') does not exist" in res.stderr
    assert ("facerep bench: backbone timm:resnet18 (the default; choose with --backbone), tasks "
            "pose,parsing; writing to runs/bench (the default; choose with --out)") in res.stdout
    # nothing was encoded or written
    assert not (tmp_path / "cache").exists() and not (tmp_path / "runs").exists()
