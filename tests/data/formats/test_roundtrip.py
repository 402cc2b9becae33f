"""Round trip: ``facerep synth --format F`` then loading with format F gives the same labels."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from facerep.data.formats import load_dataset
from facerep.data.vocab import EXPRESSIONS8


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from facerep.cli import main

    out = tmp_path_factory.mktemp("synth")
    main(["--quiet", "synth", str(out), "--ids", "3", "--per-id", "2", "--size", "64", "--format", "all"])
    with open(out / "labels.csv", newline="") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    return out, rows


def truth_landmarks(row: dict) -> np.ndarray:
    return np.array([[float(row[f"x{k}"]), float(row[f"y{k}"])] for k in range(68)], dtype=np.float32)


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[1].rsplit(".", 1)[0]


def test_300w_round_trip(exported):
    out, rows = exported
    ds = load_dataset(f"300w:{out / '300w'}")
    assert len(ds) == len(rows) == 6
    for i in range(len(ds)):
        s = ds[i]
        assert np.abs(s.landmarks2d - truth_landmarks(rows[name_of(s.path)])).max() <= 0.5


def test_lapa_round_trip(exported):
    from facerep.data.synth import SynthDataset

    out, rows = exported
    ds = load_dataset(f"lapa:{out / 'lapa'}?points=68", "train")
    synth = SynthDataset(ids=3, per_id=2, size=64)
    assert len(ds) == 6 and ds.info.mask_classes == synth.info.mask_classes
    for i in range(len(ds)):
        s = ds[i]
        k = int(name_of(s.path))
        assert np.abs(s.landmarks2d - truth_landmarks(rows[name_of(s.path)])).max() <= 0.5
        np.testing.assert_array_equal(s.mask, synth[k].mask)
        assert s.image.shape == (64, 64, 3)
    with pytest.raises(Exception, match="expected 106 points"):
        load_dataset(f"lapa:{out / 'lapa'}")


def test_imagefolder_round_trip(exported):
    out, rows = exported
    ids = load_dataset(f"imagefolder:{out / 'imagefolder' / 'identity'}")
    same = {}
    for i in range(len(ids)):
        subject = rows[name_of(ids.items[i].image)]["subject"]
        same.setdefault(subject, set()).add(ids.labels(i)["identity"])
    assert len(ids) == 6 and len(same) == 3 and all(len(v) == 1 for v in same.values())
    assert len({next(iter(v)) for v in same.values()}) == 3
    expr = load_dataset(f"imagefolder:{out / 'imagefolder' / 'expression'}?label=expression")
    assert len(expr) == 6
    for i in range(len(expr)):
        want = rows[name_of(expr.items[i].image)]["expression_name"]
        assert EXPRESSIONS8[expr.labels(i)["expression"]] == want
