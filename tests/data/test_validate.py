import dataclasses

import numpy as np
import pytest

from facerep.data.sample import DatasetInfo, FaceSample, ListDataset
from facerep.data.validate import scan, validate_sample
from facerep.data.vocab import LAPA11
from facerep.errors import DataError

INFO = DatasetInfo("t", frozenset({"landmarks2d", "mask"}), "68", mask_classes=LAPA11, expression_classes=("a", "b"))
IMG = np.zeros((10, 12, 3), np.uint8)


@pytest.mark.parametrize("kw, msg", [
    ({"landmarks2d": np.zeros((67, 2))}, "expected 68 points, got 67"),
    ({"landmarks2d": np.full((68, 2), np.nan)}, "point 0 is not a finite number"),
    ({"mask": np.zeros((9, 12), np.uint8)}, "mask size 12×9 differs from image size 12×10"),
    ({"mask": np.full((10, 12), 11, np.uint8)}, "pixel \\(x=0, y=0\\) has class id 11"),
    ({"expression": 5}, "expression id 5 outside 0..1"),
    ({"valence": float("nan")}, "valence is NaN"),
])
def test_bad_labels_named(kw, msg):
    with pytest.raises(DataError, match=msg) as e:
        validate_sample(FaceSample(IMG, path="/d/x.png", **kw), INFO)
    assert str(e.value).startswith("/d/x.png: ")


def test_scan_counts_skips():
    good = FaceSample(IMG, landmarks2d=np.ones((68, 2)), path="a")
    bad = FaceSample(IMG, landmarks2d=np.ones((67, 2)), path="b")
    ds = ListDataset([good, bad, dataclasses.replace(good, path="c")], INFO)
    with pytest.raises(DataError, match="b: "):
        scan(ds)
    rep = scan(ds, skip_bad=True)
    assert rep.ok == 2 and rep.n == 3 and rep.skipped[0][0] == 1 and rep.labels["landmarks2d"] == 2


def test_a_face_listed_twice_is_named_or_skipped():
    a, b = (FaceSample(IMG, box=(1.0, 1.0, 8.0, 8.0), path=p) for p in ("x/a.png", "x/b.png"))
    other_face = dataclasses.replace(a, box=(2.0, 2.0, 9.0, 9.0))  # a second face of the same image is no repeat
    ds = ListDataset([a, b, other_face, a], INFO)
    with pytest.raises(DataError, match=r"^x/a\.png: listed twice in t: sample 3 repeats sample 0"):
        scan(ds)
    rep = scan(ds, skip_bad=True)
    assert rep.ok == 3 and [i for i, _ in rep.skipped] == [3]
