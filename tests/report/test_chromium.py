"""The report opens in headless Chromium without console errors, and a screenshot shows the plots.

Needs Debian's ``chromium``: installed here with apt-get when missing (CI runs as root). Without it the
test FAILS with the command to fix it; it never skips."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=1280,7000"]
TAB_BLUE, TAB_ORANGE = (31, 119, 180), (255, 127, 14)  # matplotlib's first two line colours
SET2 = ((102, 194, 165), (252, 141, 98), (141, 160, 203))  # the subgroup bars' colours


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, check=False, capture_output=True, timeout=900)
        found = shutil.which("chromium")
        if not found:
            subprocess.run(["apt-get", "update", "-q"], env=env, check=False, capture_output=True, timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, check=False, capture_output=True, timeout=900)
            found = shutil.which("chromium")
    if not found:
        pytest.fail("headless Chromium is needed to check the report: install Debian's package with "
                    "`apt-get install -y chromium` (as root), then rerun")
    return found


def render(page: Path, shot: Path, tmp: Path) -> str:
    """Screenshot ``page``; returns Chromium's log (stderr)."""
    cmd = [chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", f"--screenshot={shot}", page.resolve().as_uri()]
    res = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-3000:]
    return res.stderr


def console_messages(log: str) -> list[str]:
    return re.findall(r":CONSOLE[^\]]*\] (.*)", log)


def test_report_renders_in_chromium(axis_report: Path, tmp_path: Path) -> None:
    """One page with every section (few-shot curves, tables, degradation curves, subgroup bars), one launch."""
    control = tmp_path / "control.html"  # the log check must see a console error when there is one
    control.write_text("<!DOCTYPE html><html><body><script>console.error('control-error')</script></body></html>")
    assert any("control-error" in m for m in console_messages(render(control, tmp_path / "c.png", tmp_path)))

    page = axis_report
    text = page.read_text()
    assert len(re.findall(r'<figure class="fewshot"', text)) == 3 and '<table class="scores">' in text
    assert len(re.findall(r'<figure class="degradation"', text)) == 3 and '<table class="degradation">' in text
    assert len(re.findall(r'<figure class="groups"', text)) == 3 and "class='warn'" in text
    log = render(page, tmp_path / "shot.png", tmp_path)
    assert console_messages(log) == [], console_messages(log)
    img = np.asarray(Image.open(tmp_path / "shot.png").convert("RGB")).astype(int)
    assert img.shape[0] >= 6000
    for color in (TAB_BLUE, TAB_ORANGE, *SET2):  # the curves of both backbones and the subgroup bars are drawn
        near = (np.abs(img - np.array(color)).sum(axis=2) < 40).sum()
        assert near > 500, (color, near)
    assert (img.sum(axis=2) < 600).mean() > 0.02  # not a blank page
