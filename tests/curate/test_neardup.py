"""Near-duplicate faces from the pixels: descriptors, groups and the pairs that cross a split."""
from __future__ import annotations

import numpy as np

from facerep.curate.neardup import THUMB, cross_pairs, near_duplicate_groups, thumbnail


def _faces(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (40, 32, 3), dtype=np.uint8) for _ in range(n)]


def test_descriptor_is_a_unit_vector_that_ignores_brightness_and_size():
    img = _faces(1, 0)[0]
    t = thumbnail(img)
    assert t.shape == (THUMB * THUMB,) and abs(float(np.linalg.norm(t)) - 1) < 1e-5
    brighter = np.clip(img.astype(int) // 2 + 60, 0, 255).astype(np.uint8)  # an affine change of grey levels
    assert float(t @ thumbnail(brighter)) > 0.99
    assert float(t @ thumbnail(np.repeat(np.repeat(img, 2, 0), 2, 1))) > 0.99
    assert not thumbnail(np.full((8, 8, 3), 7, np.uint8)).any()  # a flat image: the zero vector


def test_frames_of_one_clip_group_together_and_count_across_a_split():
    base = _faces(5, 1)
    rng = np.random.default_rng(2)
    frames = [np.clip(b.astype(int) + rng.integers(-6, 7, b.shape), 0, 255).astype(np.uint8)
              for b in base for _ in range(3)]  # 5 clips x 3 near-identical frames
    thumbs = np.stack([thumbnail(f) for f in frames])
    groups = near_duplicate_groups(thumbs, 0.95)
    assert groups.tolist() == np.repeat(np.arange(5), 3).tolist()
    assert cross_pairs(thumbs[:6], thumbs[6:], 0.95) == 0  # whole clips on each side
    assert cross_pairs(thumbs[:7], thumbs[7:], 0.95) == 2  # clip 2 split 1 | 2: two pairs cross
    assert cross_pairs(thumbs[:0], thumbs, 0.95) == 0
