from __future__ import annotations

import pytest
from curate_media import save_image, write_video

from facerep.curate.walk import Input, Skip, read_frames, walk_inputs
from facerep.errors import DataError


def test_walk_sorted_recursive_with_skips(tmp_path, astronaut):
    small = astronaut[::8, ::8]
    save_image(tmp_path / "b" / "x.png", small)
    save_image(tmp_path / "a.jpg", small)
    (tmp_path / "c.txt").write_text("x")
    (tmp_path / ".hidden.png").write_text("x")
    (tmp_path / "d").mkdir()
    items = list(walk_inputs(tmp_path))
    assert [(type(i).__name__, i.rel) for i in items] == [
        ("Input", "a.jpg"), ("Input", "b/x.png"), ("Skip", "c.txt"), ("Skip", "d")]
    assert isinstance(items[2], Skip) and items[2].kind == "not-media"
    single = list(walk_inputs(tmp_path / "a.jpg"))
    assert single == [Input(tmp_path / "a.jpg", "a.jpg", "image")]
    with pytest.raises(DataError, match="does not exist"):
        list(walk_inputs(tmp_path / "nope"))


def test_read_frames_samples_and_limits(tmp_path, astronaut):
    video = write_video(tmp_path / "v.avi", astronaut, frames=10, fps=10, size=64)
    item = Input(video, "v.avi", "video")
    assert [f for f, _ in read_frames(item, fps=5)] == [0, 2, 4, 6, 8]
    assert [f for f, _ in read_frames(item, fps=0)] == list(range(10))
    frames = list(read_frames(item, fps=0, max_frames=3))
    assert [f for f, _ in frames] == [0, 1, 2] and frames[0][1].shape == (64, 64, 3)
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="junk.mp4"):
        list(read_frames(Input(tmp_path / "junk.mp4", "junk.mp4", "video"), fps=1))
