"""Corruption and subgroup axes of `facerep bench` (mechanics on a tiny synthetic set)."""
import pandas as pd
import pytest

from facerep.bench.api import bench, clean_rows
from facerep.config import BenchConfig
from facerep.errors import ConfigError, UnknownNameError

DATA = "synth:ids=12,per_id=6,size=48,seed=0"


def _cfg(tmp_path, **kw):
    base = dict(backbone="timm:resnet18", tasks=["pose"], synth=DATA, image_size=32, fractions=[1.0], seeds=[0],
                out=str(tmp_path / "b"), cache_dir=str(tmp_path / "cache"), head_steps=30)
    return BenchConfig(**{**base, **kw})


def test_corruptions_and_groups_add_rows_without_changing_clean(tmp_path):
    plain, _ = bench(_cfg(tmp_path), write=False)
    df, _ = bench(_cfg(tmp_path, corruptions=["blur:1,3", "occlusion:mask"], groups=["skin_tone"]), write=True)
    lin = df[df["mode"] == "linear"]
    got = set(zip(lin["corruption"], lin["severity"]))
    assert got == {("clean", "0"), ("blur", "1"), ("blur", "3"), ("occlusion", "mask")}
    # the clean rows are exactly the run without the extra axes
    clean = clean_rows(df)[["task", "mode", "seed", "metric", "value"]].reset_index(drop=True)
    assert clean.equals(plain[["task", "mode", "seed", "metric", "value"]].reset_index(drop=True))
    groups = lin[lin["group"].fillna("").str.startswith("skin_tone=") & (lin["metric"] == "mae")]
    assert groups["n_group"].sum() == lin["n_test"].iloc[0]
    big = groups[groups["n_group"] >= 5]
    assert len(big) and big["ci_low"].notna().all() and (big["ci_low"] <= big["value"] + 1e-9).all()
    assert (lin["group"] == "skin_tone:gap").any()
    deg = pd.read_csv(tmp_path / "b" / "robustness.csv")
    assert set(deg["corruption"]) == {"blur", "occlusion"} and deg["relative_error_increase"].notna().all()


def test_bad_corruption_and_group_names(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown corruption 'fog'"):
        bench(_cfg(tmp_path, corruptions=["fog:1"]), write=False)
    with pytest.raises(ConfigError, match="unknown severity '9'"):
        bench(_cfg(tmp_path, corruptions=["blur:9"]), write=False)
    with pytest.raises(ConfigError, match="no subgroup attribute 'zodiac'"):
        bench(_cfg(tmp_path, groups=["zodiac"]), write=False)
