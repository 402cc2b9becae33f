"""``install.sh`` is the one install: the README's Quick start and CI (``.ci/run``) both run it, and it
installs torch first, then facerep with its extras, then facenet-pytorch without its ancient pins, then
face-api's weights into facerep's cache."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# a stand-in for python: logs its arguments; "-m venv DIR" makes DIR/bin/python (another stand-in)
FAKE_PYTHON = """#!/usr/bin/env bash
echo "$0 $*" >> "$FAKE_LOG"
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
"""


def test_install_script_runs_the_steps_in_order(tmp_path: Path) -> None:
    fake, log = tmp_path / "python3", tmp_path / "log"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = {**os.environ, "PYTHON": str(fake), "FAKE_LOG": str(log)}
    res = subprocess.run([str(ROOT / "install.sh"), "--venv", str(tmp_path / "venv")], env=env, check=False,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    calls = log.read_text().splitlines()
    venv_py = str(tmp_path / "venv" / "bin" / "python")
    assert calls[0] == f"{fake} -m venv {tmp_path / 'venv'}"
    assert [c.split(" ", 1)[0] for c in calls[1:]] == [venv_py] * (len(calls) - 1)  # everything in the venv
    steps = [c.split(" ", 1)[1] for c in calls[1:]]
    assert steps == ["-m pip install --upgrade pip", "-m pip install torch==2.14.1 torchvision==0.29.1",
                     "-m pip install -e .[dev,detect]", "-m pip install --no-deps facenet-pytorch",
                     "-m facerep weights faceapi", "-m facerep --help"]


def test_install_script_refuses_unknown_arguments() -> None:
    res = subprocess.run([str(ROOT / "install.sh"), "--bogus"], check=False, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2 and "--bogus" in res.stderr


def test_readme_and_ci_install_with_the_script() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./install\.sh ", ci, re.MULTILINE), "CI must run install.sh"
    assert "pip install" not in ci, "CI must not keep its own copy of the install"
    assert "PIP_NO_CACHE_DIR=1" in ci and "df -h" in ci
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert quick.strip().splitlines()[0].startswith("./install.sh"), quick
    assert "pip install" not in quick
