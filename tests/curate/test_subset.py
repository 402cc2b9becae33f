from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curate_media import write_manifest_dir

from facerep.config import SubsetConfig
from facerep.curate.subset import build_subsets, nested_order, parse_size, unit_keys
from facerep.errors import ConfigError


def test_parse_size():
    assert [parse_size(s) for s in ("1k", "10K", "2.5k", "1m", "37")] == [1000, 10000, 2500, 1_000_000, 37]
    for bad in ("k", "1.5", "ten", "0"):
        with pytest.raises(ConfigError):
            parse_size(bad)


def test_nested_order_keeps_units_whole_and_is_seeded():
    units = np.array(list("aaabbbbccd"), dtype=object)
    order = nested_order(units, seed=3)
    assert sorted(order.tolist()) == list(range(10))
    seq = units[order]
    runs = [seq[0]] + [u for prev, u in zip(seq, seq[1:]) if u != prev]
    assert len(runs) == 4  # each unit appears as one contiguous run
    assert nested_order(units, seed=3).tolist() == order.tolist()
    assert nested_order(units, seed=4).tolist() != order.tolist()


def test_unit_keys():
    df = pd.DataFrame({"video": ["v1", None, "v1"], "identity": [1, 2, 1], "source": ["a", "b", "c"]})
    assert unit_keys(df, "video").tolist() == ["video=v1", "#1", "video=v1"]
    assert unit_keys(df, "identity").tolist() == ["identity=1", "identity=2", "identity=1"]
    with pytest.raises(ConfigError, match="--by"):
        unit_keys(df, "person")
    with pytest.raises(ConfigError, match="no video"):
        unit_keys(pd.DataFrame({"source": ["a"]}), "video")


@pytest.mark.parametrize("by", ["image", "video", "identity"])
def test_subsets_are_nested(tmp_path, by):
    write_manifest_dir(tmp_path / "data", n_videos=4, frames=5, images=6)
    res = build_subsets(str(tmp_path / "data"), tmp_path / "out", SubsetConfig(sizes=["5", "12", "20", "99"], by=by, seed=1))
    assert res["skipped"] == ["subset_99: 99 faces asked, 26 available"]
    subsets = [pd.read_parquet(tmp_path / "out" / f"subset_{n}.parquet") for n in (5, 12, 20)]
    assert [len(s) for s in subsets] == [5, 12, 20]
    for small, big in zip(subsets, subsets[1:]):
        assert set(small.crop) <= set(big.crop)
    if by == "video":  # whole videos first: at most one video is cut in each subset
        s = subsets[1]
        counts = s[s.video.notna()].groupby("video").size()
        assert (counts < 5).sum() <= 1


def test_quality_subsets_filtered_vs_raw(tmp_path, cli):
    write_manifest_dir(tmp_path / "data", n_videos=3, frames=4, images=3)  # sharpness 0..3 per video, 10..12 images
    code, out, err = cli("-q", "subset", tmp_path / "data", "--out", tmp_path / "out", "--sizes", "4,6",
                         "--quality-min", "sharpness=2", "--seed", "0")
    assert code == 0, err
    filt = pd.read_parquet(tmp_path / "out" / "filtered_6.parquet")
    raw = pd.read_parquet(tmp_path / "out" / "raw_6.parquet")
    assert len(filt) == len(raw) == 6 and (filt.sharpness >= 2).all() and (raw.sharpness < 2).any()
    assert "filtered_4 (4 faces)" in out
    # the subsets are manifests any command reads
    code, out, err = cli("info", f"manifest:{tmp_path / 'out' / 'filtered_4.parquet'}")
    assert code == 0 and "4 ok" in out, err
    code, _, err = cli("-q", "subset", tmp_path / "data", "--out", tmp_path / "o2", "--sizes", "1k")
    assert code == 2 and "larger than the 15 faces" in err
    code, _, err = cli("-q", "subset", tmp_path / "data", "--out", tmp_path / "o3", "--quality-min", "blur=1")
    assert code == 2 and "no such column" in err
