"""``--skip-bad``: run on with the good samples of a dataset, counting and naming the bad ones.

Usage::

    ds = SkippingDataset(load_dataset("300w:/data/300W"))   # decodes + validates every sample once
    print(ds.summary())          # "skipped 2 of 3837 samples of 300w: 1 × image file does not exist; …"
    ds.skipped                   # [Skipped(index=17, path='/data/…/x.jpg',
                                 #          reason='image file does not exist'), …]
    ds[i]                        # the i-th *good* sample; ds.indices[i] is its index in the original

A sample is bad when reading it raises :class:`~facerep.errors.DataError` (missing or broken
image, mask of the wrong size, class id out of range, …) or when
:func:`facerep.data.validate.validate_sample` rejects it. Every other exception propagates (a bug
is not bad data). When no sample is good, DataError is raised with the summary.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError
from ..progress import track
from .sample import FaceDataset, FaceSample
from .validate import validate_sample


@dataclass(frozen=True)
class Skipped:
    """One skipped sample: its index in the wrapped dataset, its file (when known) and why."""

    index: int
    path: str | None
    reason: str


class SkippingDataset:
    """A view of ``dataset`` without the samples that fail to decode or validate (see module doc)."""

    def __init__(self, dataset: FaceDataset, *, validate: bool = True, progress: bool = True) -> None:
        self.dataset, self.info = dataset, dataset.info
        self.skipped: list[Skipped] = []
        keep: list[int] = []
        indices: Any = range(len(dataset))
        for i in track(indices, f"checking {dataset.info.name}") if progress else indices:
            try:
                sample = dataset[i]
                if validate:
                    validate_sample(sample, dataset.info)
            except DataError as e:
                self.skipped.append(Skipped(i, e.path, e.message
                                            if e.line is None else f"line {e.line}: {e.message}"))
                continue
            keep.append(i)
        self.indices = np.asarray(keep, dtype=np.int64)
        if len(dataset) and not keep:
            raise DataError(f"every sample is bad: {self.summary()}")

    @property
    def n_total(self) -> int:
        return len(self.dataset)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> FaceSample:
        return self.dataset[int(self.indices[i])]

    def labels(self, i: int) -> dict[str, Any]:
        """Labels of good sample ``i`` without decoding (when the wrapped dataset offers it)."""
        return self.dataset.labels(int(self.indices[i]))  # type: ignore[attr-defined]

    def reasons(self) -> Counter:
        """Reason -> number of samples skipped for it."""
        return Counter(s.reason for s in self.skipped)

    def summary(self) -> str:
        """One line: how many samples were skipped, of how many, and why (most frequent first)."""
        head = f"skipped {len(self.skipped)} of {self.n_total} samples of {self.info.name}"
        if not self.skipped:
            return head
        why = "; ".join(f"{n} × {reason}" for reason, n in self.reasons().most_common(5))
        more = len(self.reasons()) - 5
        return head + ": " + why + (f"; and {more} other reasons" if more > 0 else "")
