"""Property tests: arbitrary text in an annotation file never raises anything but the documented errors
(FacerepError: DataError naming the file and line, or ConfigError) — at open and at access."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from facerep.data.formats import load_dataset
from facerep.errors import FacerepError

# (format, annotation file relative to the root, a valid header to keep the fuzz near real files)
CASES = [
    ("300w", "a.pts", "version: 1\nn_points: 68\n{\n"),
    ("fer2013", "fer2013.csv", "emotion,pixels,Usage\n"),
    ("affectnet", "Manually_Annotated_file_lists/training.csv",
     "subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal\n"),
    ("rafdb", "basic/EmoLabel/list_patition_label.txt", ""),
    ("pairs", "pairs.txt", "10\t300\n"),
    ("celeba", "Anno/list_attr_celeba.txt", "1\n5_o_Clock_Shadow Arched_Eyebrows\n"),
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
LINES = st.lists(st.sampled_from(["a.png 1 2", "1,2,3", "nan nan", "-1 1", "{", "}", "", "x\ty\tz", "48 " * 5,
                                  "000001.jpg 1 -1", "train_00001.jpg 5", "a,b,c,d,e,f,g,h,i"]), max_size=12)


def _root() -> Path:
    root = Path(tempfile.mkdtemp())
    img = np.zeros((16, 16, 3), np.uint8)
    for rel in ("a.png", "img_align_celeba/000001.jpg", "basic/Image/aligned/train_00001_aligned.jpg",
                "lfw/Aaron/Aaron_0001.jpg"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root / rel)
    return root


def _exercise(fmt: str, rel: str, content: str) -> None:
    root = _root()
    try:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
        try:
            ds = load_dataset(f"{fmt}:{root}")
            for i in range(min(len(ds), 3)):
                ds[i]
        except FacerepError:
            pass
    finally:
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=st.sampled_from(CASES), text=TEXT)
def test_arbitrary_text_gives_only_data_errors(case, text):
    fmt, rel, header = case
    _exercise(fmt, rel, header + text)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=st.sampled_from(CASES), lines=LINES)
def test_plausible_lines_give_only_data_errors(case, lines):
    fmt, rel, header = case
    _exercise(fmt, rel, header + "\n".join(lines) + "\n")
