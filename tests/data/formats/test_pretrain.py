"""frl-hdf5 and webdataset (pre-training sources, no labels)."""
from __future__ import annotations

import json
import tarfile

import h5py
import numpy as np
import pytest
from format_fixtures import add_member, png_bytes

from facerep.data.formats import load_dataset
from facerep.errors import DataError


def test_frl_hdf5(tmp_path):
    blobs = [png_bytes(k) for k in range(3)]
    with h5py.File(tmp_path / "faces.h5", "w") as f:
        d = f.create_dataset("images", (3,), dtype=h5py.vlen_dtype(np.uint8))
        for k, (b, _) in enumerate(blobs):
            d[k] = np.frombuffer(b, dtype=np.uint8)
    ds = load_dataset(f"frl-hdf5:{tmp_path}")
    assert len(ds) == 3 and ds.info.provides == frozenset()
    np.testing.assert_array_equal(ds[2].image, blobs[2][1])
    import pickle

    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ds))[1].image, blobs[1][1])  # open handle not pickled
    with h5py.File(tmp_path / "bad.hdf5", "w") as f:
        d = f.create_dataset("images", (2,), dtype=h5py.vlen_dtype(np.uint8))
        d[0], d[1] = np.frombuffer(b"not an image", np.uint8), np.frombuffer(blobs[0][0], np.uint8)
    with pytest.raises(DataError, match=r"bad\.hdf5#images\[0\]: not an image file"):
        load_dataset(f"frl-hdf5:{tmp_path / 'bad.hdf5'}")[0]
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("imgs", data=np.zeros(2))
    with pytest.raises(DataError, match=r"other\.h5: no 'images' dataset \(keys: imgs\)"):
        load_dataset(f"frl-hdf5:{tmp_path}")


def test_webdataset(tmp_path):
    arrays = {}
    for shard in range(2):
        with tarfile.open(tmp_path / f"faces-{shard:06d}.tar", "w") as tar:
            for k in range(2):
                key = f"s{shard}/{k:04d}"
                data, arrays[key] = png_bytes(shard * 10 + k)
                add_member(tar, f"{key}.png", data)
                add_member(tar, f"{key}.json", json.dumps({"identity": shard * 2 + k, "source": "x"}).encode())
            add_member(tar, "s9/lonely.json", b"{}")
    ds = load_dataset(f"webdataset:{tmp_path}/faces-{{000000..000001}}.tar")
    assert len(ds) == 4 and ds.info.provides == {"identity"}
    for i in (3, 0):  # random access order
        key = ds[i].path.split("#", 1)[1][:-4]
        np.testing.assert_array_equal(ds[i].image, arrays[key])
        assert ds[i].identity == int(key[1]) * 2 + int(key[-1])
    assert len(load_dataset(f"webdataset:{tmp_path}")) == 4
    with pytest.raises(DataError, match=r"faces-000002\.tar: webdataset: shard does not exist"):
        load_dataset(f"webdataset:{tmp_path}/faces-{{000000..000002}}.tar")
