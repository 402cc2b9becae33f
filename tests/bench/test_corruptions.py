import numpy as np
import pytest

from facerep.bench.corruptions import corrupt, parse_corruptions
from facerep.data.sample import FaceSample
from facerep.errors import ConfigError, UnknownNameError


def _face():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    # a coarse 68-point layout: eyes around y=25, mouth around y=45, jaw on a U
    lm = np.zeros((68, 2), np.float32)
    t = np.linspace(0, np.pi, 17)
    lm[:17] = np.stack([32 - 26 * np.cos(t), 20 + 36 * np.sin(t)], 1)
    lm[17:27] = np.stack([np.linspace(12, 52, 10), np.full(10, 18)], 1)
    lm[27:36] = np.stack([np.full(9, 32), np.linspace(22, 38, 9)], 1)
    lm[36:48] = np.stack([np.r_[np.linspace(16, 26, 6), np.linspace(38, 48, 6)], np.full(12, 25)], 1)
    lm[48:68] = np.stack([np.linspace(22, 42, 20), np.full(20, 46)], 1)
    return FaceSample(img, landmarks2d=lm)


def test_parse_and_errors():
    assert parse_corruptions(["lowres:16,24", "occlusion:mask"]) == [("lowres", "16"), ("lowres", "24"), ("occlusion", "mask")]
    with pytest.raises(UnknownNameError, match="unknown corruption 'blurr'.*blur"):
        parse_corruptions(["blurr:1"])
    with pytest.raises(ConfigError, match="unknown severity '7'; valid: 1, 2, 3"):
        parse_corruptions(["blur:7"])
    with pytest.raises(ConfigError, match="positive integer"):
        parse_corruptions(["lowres:x"])
    with pytest.raises(ConfigError, match="NAME:S1,S2"):
        parse_corruptions(["noise"])


@pytest.mark.parametrize("name", ["lowres", "blur", "noise", "light"])
def test_distortion_grows_with_severity(name):
    s = _face()
    sevs = ["32", "16", "8"] if name == "lowres" else ["1", "2", "3"]
    errs = [np.abs(corrupt(s, name, v, seed=0)[0].image.astype(float) - s.image).mean() for v in sevs]
    assert errs[0] > 0 and errs[0] < errs[1] < errs[2]


def test_jpeg_and_determinism():
    s = _face()
    a, _ = corrupt(s, "noise", "2", seed=3)
    b, _ = corrupt(s, "noise", "2", seed=3)
    assert (a.image == b.image).all()
    assert np.abs(corrupt(s, "jpeg", "10", 0)[0].image.astype(float) - s.image).mean() > \
        np.abs(corrupt(s, "jpeg", "90", 0)[0].image.astype(float) - s.image).mean()


def test_occluders_cover_their_parts():
    s = _face()
    lm = s.landmarks2d.round().astype(int)
    _, sun = corrupt(s, "occlusion", "sunglasses", 0)
    assert sun[lm[36:48, 1], lm[36:48, 0]].all() and not sun[lm[57, 1], lm[57, 0]]
    _, mask = corrupt(s, "occlusion", "mask", 0)
    assert mask[lm[57, 1], lm[57, 0]] and mask[lm[62, 1], lm[62, 0]] and not mask[lm[37, 1], lm[37, 0]]
    out, hand = corrupt(s, "occlusion", "hand", 0)
    assert 0.02 < hand.mean() < 0.5 and (out.image[hand] != s.image[hand]).any()
    boxonly = FaceSample(s.image, box=(8, 8, 56, 56))
    _, m2 = corrupt(boxonly, "occlusion", "sunglasses", 0)
    assert m2[25, 32] and not m2[50, 32]
