"""The installed ``facerep`` entry point: usage mistakes print click's short usage message and exit 2 (no
traceback), whatever copy of click typer runs on; ``--help`` shows defaults and no ``<bool>`` value type."""
from __future__ import annotations

import os
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
