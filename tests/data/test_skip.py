"""SkippingDataset: bad samples are skipped, counted and named; good ones pass through unchanged."""
from __future__ import annotations

import numpy as np
import pytest

from facerep.data.sample import DatasetInfo, FaceSample
from facerep.data.skip import SkippingDataset
from facerep.errors import DataError


class Flaky:
    """Samples 1 and 3 fail to decode; sample 4 has a mask of the wrong size."""

    def __init__(self, n: int = 5) -> None:
        self.n, self.info = n, DatasetInfo("flaky", frozenset({"mask"}), mask_classes=("bg", "skin"))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> FaceSample:
        if i in (1, 3):
            raise DataError("image file does not exist", f"/data/{i}.jpg")
        mask = np.zeros((4, 5) if i == 4 else (4, 4), dtype=np.uint8)
        return FaceSample(image=np.full((4, 4, 3), i, dtype=np.uint8), mask=mask, path=f"/data/{i}.jpg")

    def labels(self, i: int) -> dict:
        return {"identity": i}


def test_skipping_dataset_counts_and_names():
    ds = SkippingDataset(Flaky(), progress=False)
    assert len(ds) == 2 and ds.n_total == 5 and ds.indices.tolist() == [0, 2]
    assert ds[1].image[0, 0, 0] == 2 and ds.labels(1) == {"identity": 2}
    assert [(s.index, s.path) for s in ds.skipped] == [(1, "/data/1.jpg"), (3, "/data/3.jpg"), (4, "/data/4.jpg")]
    assert ds.reasons()["image file does not exist"] == 2
    summary = ds.summary()
    assert summary.startswith("skipped 3 of 5 samples of flaky: 2 × image file does not exist; 1 × mask size 5×4")
    assert SkippingDataset(Flaky(), validate=False, progress=False).indices.tolist() == [0, 2, 4]


def test_skipping_dataset_all_bad_raises():
    with pytest.raises(DataError, match="every sample is bad: skipped 2 of 2"):
        SkippingDataset(_AllBad(), progress=False)


class _AllBad(Flaky):
    def __getitem__(self, i: int) -> FaceSample:
        raise DataError("broken", f"/x/{i}.png")

    def __len__(self) -> int:
        return 2
