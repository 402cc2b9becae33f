from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curate_media import write_manifest_dir

from facerep.data.formats import list_formats, load_dataset
from facerep.data.formats.manifest import read_manifest, write_manifest
from facerep.errors import DataError


def test_manifest_format_reads_crops_and_labels(tmp_path):
    df = write_manifest_dir(tmp_path)
    assert "manifest" in list_formats()
    ds = load_dataset(f"manifest:{tmp_path}")
    assert len(ds) == len(df) == 15
    assert ds.info.provides == {"landmarks2d", "identity"} and ds.info.landmark_scheme == "5"
    s = ds[1]
    assert s.image.shape == (32, 32, 3) and s.landmarks2d.shape == (5, 2)
    assert s.video == "v0.mp4" and s.frame == 2 and s.identity == 0 and s.subject == "id0"
    img = ds[12]
    assert img.video is None and img.frame is None
    # the same via the .parquet file
    assert len(load_dataset(f"manifest:{tmp_path / 'manifest.parquet'}")) == 15


def test_write_manifest_rewrites_relative_crop_paths(tmp_path):
    write_manifest_dir(tmp_path / "a")
    df, base = read_manifest(tmp_path / "a")
    out = write_manifest(df.iloc[[0, 13]], tmp_path / "elsewhere" / "deep" / "m.parquet", base)
    moved = load_dataset(f"manifest:{out}")
    np.testing.assert_array_equal(moved[1].image, load_dataset(f"manifest:{tmp_path / 'a'}")[13].image)
    assert pd.read_parquet(out)["crop"][0].startswith("../../a/crops/")


def test_manifest_rows_can_point_into_another_dataset(tmp_path):
    write_manifest_dir(tmp_path / "a")
    pd.DataFrame({"dataset": [f"manifest:{tmp_path / 'a'}"] * 2, "index": [3, 14]}).to_parquet(tmp_path / "ref.parquet")
    ds = load_dataset(f"manifest:{tmp_path / 'ref.parquet'}")
    inner = load_dataset(f"manifest:{tmp_path / 'a'}")
    np.testing.assert_array_equal(ds[1].image, inner[14].image)
    assert ds[0].frame == 6 and "landmarks2d" in ds.info.provides


def test_bad_manifests_name_the_file(tmp_path):
    with pytest.raises(DataError, match="no manifest here"):
        load_dataset(f"manifest:{tmp_path}")
    (tmp_path / "x.parquet").write_text("garbage")
    with pytest.raises(DataError, match="x.parquet.*not a readable Parquet"):
        load_dataset(f"manifest:{tmp_path / 'x.parquet'}")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "y.parquet")
    with pytest.raises(DataError, match="needs a 'crop' column"):
        load_dataset(f"manifest:{tmp_path / 'y.parquet'}")
    with pytest.raises(DataError, match="no official splits"):
        load_dataset(f"manifest:{tmp_path / 'y.parquet'}", split="train")
