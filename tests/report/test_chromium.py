"""The report opens in headless Chromium without console errors, and a screenshot shows the plots.

Needs Debian's ``chromium``: installed here with apt-get when missing (CI runs as root). Without it the
test FAILS with the command to fix it; it never skips."""
from __future__ import annotations

import itertools
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
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
TAB_BLUE, TAB_ORANGE = (31, 119, 180), (255, 127, 14)  # matplotlib's first two line colours
# report.html's CSS: table borders, the star, grey (not above trivial) text, best cells' background
BORDER, STAR, GREY, BEST_BG = (221, 221, 221), (42, 122, 42), (153, 153, 153), (231, 245, 231)
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


def render(page: Path, shot: Path, tmp: Path, window: str = "1280,7000") -> str:
    """Screenshot ``page`` in a window of ``window`` (width,height) pixels; returns Chromium's log (stderr).
    """
    cmd = [chromium(), *FLAGS, f"--window-size={window}", f"--user-data-dir={tmp / 'profile'}",
           f"--screenshot={shot}", page.resolve().as_uri()]
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


def near(img: np.ndarray, color: tuple[int, int, int], tol: int = 12) -> np.ndarray:
    return np.abs(img - np.array(color)).max(axis=2) <= tol


def test_score_table_in_a_narrow_window(tmp_path: Path) -> None:
    """The task x backbone table of records near the metrics' ends, in a 640 px window: one line per row
    (cells do not wrap: the table scrolls sideways), the ★ on backbones only (never on the trivial baseline's
    row), and grey cells for heads that do not beat the trivial baseline."""
    from fake_records import make_edge_records

    from facerep.records import write_records
    from facerep.report.api import make_report

    write_records(make_edge_records(), tmp_path / "run")
    text = make_report([tmp_path / "run"], tmp_path / "report.html").read_text()
    css = re.search(r"<style>.*?</style>", text, re.DOTALL).group(0)
    first = r'<div class="scroll"><table class="scores">.*?</table></div>'
    table = re.search(first, text, re.DOTALL).group(0)
    assert "-0.000" not in table
    page = tmp_path / "table.html"
    head = f"<head><meta charset='utf-8'>{css}</head>"
    page.write_text(f"<!DOCTYPE html><html>{head}<body>{table}</body></html>")
    render(page, tmp_path / "table.png", tmp_path, window="640,400")
    img = np.asarray(Image.open(tmp_path / "table.png").convert("RGB")).astype(int)
    lines = np.flatnonzero(near(img, BORDER, 3).sum(axis=1) > 300)  # the table's horizontal borders
    borders = [y for i, y in enumerate(lines) if i == 0 or y - lines[i - 1] > 1]
    assert len(borders) == 5, borders  # top, below the header, below each of the 3 rows
    heights = np.diff(borders[1:])
    assert heights.max() <= 32 and heights.max() - heights.min() <= 2, heights  # one line of text per row
    # the body rows: random init, swav pre-trained, trivial baseline
    rows = [img[a + 2:b - 1] for a, b in itertools.pairwise(borders[1:])]
    assert near(rows[1], STAR, 20).sum() > 10 and near(rows[1], BEST_BG, 3).sum() > 1000  # swav: best cells
    assert near(rows[2], STAR, 20).sum() == 0 and near(rows[2], BEST_BG, 3).sum() == 0  # trivial: never best
    assert near(rows[0], GREY, 20).sum() > 30  # random init: grey cells (ties with / below trivial)
