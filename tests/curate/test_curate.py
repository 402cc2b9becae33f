"""`facerep curate` end to end: astronaut image, a short video, bad inputs, resume after SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from curate_media import save_image, write_video

from facerep.config import CurateConfig
from facerep.curate.curate import curate
from facerep.data.geometry import template


def _eyes(values) -> np.ndarray:
    return np.asarray(values, np.float64).reshape(5, 2)[:2]


@pytest.fixture(scope="module")
def curated(tmp_path_factory, astronaut):
    """One run over: the astronaut image, a 12-frame video, and the bad inputs of the issue."""
    root = tmp_path_factory.mktemp("curate")
    inp, out = root / "in", root / "out"
    save_image(inp / "people" / "astronaut.png", astronaut)
    write_video(inp / "clips" / "drift.avi", astronaut, frames=12, fps=10)
    # a truncated MJPG video (decodable start) and a truncated mp4 (index lost: cannot be opened)
    for name, codec in (("cut.avi", "MJPG"), ("cut.mp4", "mp4v")):
        full = write_video(root / name, astronaut, frames=20, fps=10, codec=codec)
        data = full.read_bytes()
        (inp / "clips" / name).write_bytes(data[:len(data) // 2])
    (inp / "people" / "notes.jpg").write_text("this is not an image\n")
    (inp / "people" / "readme.txt").write_text("not media at all\n")
    (inp / "empty").mkdir()
    (inp / "locked").mkdir()
    save_image(inp / "locked" / "hidden.png", astronaut)
    os.chmod(inp / "locked", 0)
    from facerep.curate import walk

    real = walk._list_dir
    mp = pytest.MonkeyPatch()
    if os.access(inp / "locked", os.R_OK):  # root ignores permissions: make the listing fail as it would
        def deny(path):
            if Path(path).name == "locked":
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        mp.setattr(walk, "_list_dir", deny)
    try:
        summary = curate(inp, out, CurateConfig(detector="mtcnn", fps=5.0))
    finally:
        mp.undo()
        os.chmod(inp / "locked", 0o755)
    return summary, out, pd.read_parquet(out / "manifest.parquet")


def test_astronaut_is_found_and_aligned_to_the_template(curated):
    summary, out, df = curated
    row = df[df.source == "people/astronaut.png"]
    assert len(row) == 1
    row = row.iloc[0]
    assert row.frame == -1 and row.subject == "people" and row.score > 0.99 and row.landmarks_source == "detector"
    # the aligned eye landmarks land on the template's eyes
    assert np.linalg.norm(_eyes(row.crop_landmarks) - template(112)[:2], axis=1).max() < 2.0
    crop = (out / row.crop)
    from facerep.io import read_image

    assert read_image(crop).shape == (112, 112, 3)
    assert row.sharpness > 0 and 80 < row.face_size < 100 and row.frontal > 0.8


def test_redetected_eyes_on_the_aligned_crop_sit_on_the_template(astronaut):
    # independent check: detect again on the aligned crop (with context so MTCNN sees a whole face)
    from facerep.curate.align import align_face
    from facerep.curate.detect import create_detector

    det = create_detector("mtcnn")
    crop, _, _ = align_face(astronaut, det.detect(astronaut)[0].landmarks, 160, 0.25)
    again = det.detect(crop)
    assert len(again) == 1
    assert np.linalg.norm(again[0].landmarks[:2] - template(160, 0.25)[:2], axis=1).max() < 2.0


def test_video_frames_are_sampled_and_aligned(curated):
    _, _, df = curated
    vid = df[df.source == "clips/drift.avi"]
    # 12 frames at 10 fps sampled at 5 fps: every 2nd frame
    assert list(vid.frame) == [0, 2, 4, 6, 8, 10]
    assert (vid.video == "clips/drift.avi").all() and (vid.face == 0).all()
    for lm in vid.crop_landmarks:
        assert np.linalg.norm(_eyes(lm) - template(112)[:2], axis=1).max() < 2.0
    # the face drifts right by 1 px per frame at 192/512 scale: boxes move right
    x0 = np.array([b[0] for b in vid.box])
    assert np.all(np.diff(x0) > 0)


def test_bad_inputs_are_skipped_and_reported(curated):
    summary, out, df = curated
    skipped = {rel: (kind, msg) for rel, kind, msg in summary.skipped}
    assert skipped["people/notes.jpg"][0] == "unreadable" and "not an image" in skipped["people/notes.jpg"][1]
    assert skipped["people/readme.txt"][0] == "not-media"
    assert skipped["empty"] == ("empty-folder", "empty folder")
    assert skipped["locked"][0] == "unreadable-folder" and "ermission" in skipped["locked"][1]
    assert skipped["clips/cut.mp4"][0] == "unreadable" and "cannot open video" in skipped["clips/cut.mp4"][1]
    # the truncated MJPG keeps its decodable frames and is reported
    assert any("clips/cut.avi" in w and "truncated" in w for w in summary.warnings)
    assert 0 < (df.source == "clips/cut.avi").sum() < 10
    # inputs: astronaut.png, notes.jpg, drift.avi, cut.avi, cut.mp4; notes.jpg and cut.mp4 fail to decode
    assert summary.inputs == 5 and summary.processed == 3
    assert not (out / "crops" / "locked").exists()


def test_cli_reports_skips_and_resume(cli, astronaut, tmp_path):
    inp = tmp_path / "in"
    save_image(inp / "a.png", astronaut)
    (inp / "b.jpg").write_text("nope")
    code, out, err = cli("-q", "curate", inp, tmp_path / "out", "--detector", "mtcnn", "--shards")
    assert code == 0, err
    assert "1 faces" in out and "skipped b.jpg (unreadable): not an image" in out
    import tarfile

    with tarfile.open(tmp_path / "out" / "shards" / "shard-000000.tar") as tar:
        assert sorted(tar.getnames()) == ["000000000.json", "000000000.png"]
        assert json.loads(tar.extractfile("000000000.json").read())["source"] == "a.png"
    code, out, _ = cli("-q", "curate", inp, tmp_path / "out", "--detector", "mtcnn", "--shards")
    assert code == 0 and "1 already done" in out
    code, _, err = cli("-q", "curate", inp, tmp_path / "out", "--detector", "mtcnn", "--size", "64")
    assert code == 2 and "other options" in err
    code, out, err = cli("-q", "curate", inp, tmp_path / "small", "--detector", "mtcnn", "--min-size", "200")
    assert code == 0 and "0 faces" in out and "filtered: {'face_size': 1}" in out, err


def _tree(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_resume_after_sigkill_gives_the_same_manifest(tmp_path, astronaut):
    import cv2

    inp = tmp_path / "in"
    for i in range(10):  # distinct small images so each input takes a moment
        img = cv2.resize(np.roll(astronaut, 7 * i, axis=1), (200, 200), interpolation=cv2.INTER_AREA)
        save_image(inp / f"img{i:02d}.png", img)
    cmd = [sys.executable, "-m", "facerep.cli", "-q", "curate", str(inp), str(tmp_path / "killed"),
           "--detector", "mtcnn", "--shards"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = tmp_path / "killed" / "parts"
    deadline = time.time() + 120
    def done() -> int:
        return len([p for p in parts.glob("*.parquet") if not p.name.startswith(".")])

    while time.time() < deadline and proc.poll() is None and done() < 2:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "curate finished before it could be killed"
    assert not (tmp_path / "killed" / "manifest.parquet").exists()
    for p in (tmp_path / "killed" / "crops").rglob("*.png"):  # every completed crop file is whole
        if p.is_file() and not p.name.startswith("."):
            assert cv2.imread(str(p)) is not None, p
    n_done = done()
    summary = curate(inp, tmp_path / "killed", CurateConfig(detector="mtcnn", shards=True))
    assert summary.resumed == n_done >= 2 and summary.processed == 10 - summary.resumed
    curate(inp, tmp_path / "whole", CurateConfig(detector="mtcnn", shards=True))
    killed = pd.read_parquet(tmp_path / "killed" / "manifest.parquet")
    whole = pd.read_parquet(tmp_path / "whole" / "manifest.parquet")
    assert len(whole) == 10
    pd.testing.assert_frame_equal(killed, whole)
    assert _tree(tmp_path / "killed") == _tree(tmp_path / "whole")  # no leftover temp or half-written file
    assert not [p for p in (tmp_path / "killed").rglob("*") if ".tmp" in p.name]
    for rel in whole.crop:
        assert (tmp_path / "killed" / rel).read_bytes() == (tmp_path / "whole" / rel).read_bytes()
