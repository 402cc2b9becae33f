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
    assert set(deg["corruption"]) == {"blur", "occlusion", "mean"} and deg["relative_error_increase"].notna().all()
    assert "ce" not in deg.columns  # no reference backbone: no CE


def test_bad_corruption_and_group_names(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown corruption 'fog'"):
        bench(_cfg(tmp_path, corruptions=["fog:1"]), write=False)
    with pytest.raises(ConfigError, match="unknown severity '9'"):
        bench(_cfg(tmp_path, corruptions=["blur:9"]), write=False)
    with pytest.raises(ConfigError, match="no subgroup attribute 'zodiac'"):
        bench(_cfg(tmp_path, groups=["zodiac"]), write=False)


def _records(values):
    """Records of two backbones: {(backbone, task, corruption, severity): value} -> a records frame."""
    metric = {"landmarks2d": "nme_interocular", "parsing": "mean_f1"}
    return pd.DataFrame([dict(run_id="r", backbone=b, task=t, dataset="synth:", mode="linear", fraction=1.0, shots=0,
                              seed=seed, metric=metric[t], value=v + 0.01 * (seed - 0.5), n_train=10, n_test=5,
                              seconds=0.0, corruption=c, severity=s)
                         for (b, t, c, s), v in values.items() for seed in (0, 1)])


def test_corruption_error_against_a_reference_backbone():
    from facerep.bench.robustness import degradation

    v = {}
    for b, clean, errs in (("A", 0.10, (0.12, 0.16)), ("R", 0.10, (0.14, 0.22))):  # NME: error = value
        v[(b, "landmarks2d", "clean", "0")] = clean
        v.update({(b, "landmarks2d", "blur", s): e for s, e in zip("12", errs)})
        v[(b, "landmarks2d", "noise", "1")] = errs[0] * 2
    v[("A", "parsing", "clean", "0")], v[("R", "parsing", "clean", "0")] = 0.8, 0.6  # F1: error = 1 - value
    v[("A", "parsing", "blur", "1")], v[("R", "parsing", "blur", "1")] = 0.7, 0.4
    direction = {"landmarks2d": ("nme_interocular", "min"), "parsing": ("mean_f1", "max")}
    deg = degradation(_records(v), direction, reference="R").set_index(["backbone", "task", "corruption"])
    blur = deg.loc[("A", "landmarks2d", "blur")]
    assert blur["ce"] == pytest.approx((0.12 + 0.16) / (0.14 + 0.22))  # ImageNet-C CE: sum over severities
    assert blur["relative_ce"] == pytest.approx((0.02 + 0.06) / (0.04 + 0.12))
    assert blur["relative_error_increase"] == pytest.approx((0.2 + 0.6) / 2)
    noise = deg.loc[("A", "landmarks2d", "noise")]["ce"]
    assert noise == pytest.approx(0.24 / 0.28)
    assert deg.loc[("A", "landmarks2d", "mean")]["ce"] == pytest.approx((blur["ce"] + noise) / 2)  # mCE
    assert deg.loc[("A", "parsing", "blur")]["ce"] == pytest.approx(0.3 / 0.6)
    assert deg.loc[("R", "parsing", "mean")]["ce"] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="reference backbone 'timm:vit' is not in the records; backbones there: A, R"):
        degradation(_records(v), direction, reference="timm:vit")
    # runs trained differently are separate cells, each compared with the reference trained the same way
    both = pd.concat([_records(v).assign(train_corruptions="clean"),
                      _records(v).assign(train_corruptions="blur:2", value=lambda d: d["value"] * 0.5)])
    deg2 = degradation(both, direction, reference="R")
    assert len(deg2) == 2 * len(deg) and set(deg2["train_corruptions"]) == {"clean", "blur:2"}
    assert deg2[deg2["backbone"] == "R"]["ce"].eq(1.0).all()
    del v[("R", "landmarks2d", "noise", "1")]
    with pytest.raises(ConfigError, match="reference backbone has no records for task 'landmarks2d'.*noise"):
        degradation(_records(v), direction, reference="R")


def test_bad_robustness_options(tmp_path, cli):
    with pytest.raises(UnknownNameError, match="--train-corruptions: unknown corruption 'fog'"):
        bench(_cfg(tmp_path, train_corruptions=["fog:1"]), write=False)
    with pytest.raises(ConfigError, match="--train-corruptions: corruption noise: unknown severity '7'"):
        bench(_cfg(tmp_path, train_corruptions=["noise:7"]), write=False)
    with pytest.raises(ConfigError, match="--reference-backbone normalises the corruption error: give --corruptions"):
        bench(_cfg(tmp_path, reference_backbone="timm:resnet10t"), write=False)
    with pytest.raises(ConfigError, match="train_skew 'skin_tone': expected ATTR=VALUE"):
        bench(_cfg(tmp_path, train_skew="skin_tone"), write=False)
    with pytest.raises(ConfigError, match="no subgroup attribute 'zodiac'"):
        bench(_cfg(tmp_path, train_skew="zodiac=leo"), write=False)
    with pytest.raises(ConfigError, match="no training sample has skin_tone=green; values there: dark, light, medium"):
        bench(_cfg(tmp_path, train_skew="skin_tone=green"), write=False)
    code, out, err = cli("bench", "--tasks", "pose", "--train-corruptions", "fog:1", "--out", str(tmp_path / "c"))
    assert code != 0 and "unknown corruption 'fog'" in out + err and "Traceback" not in out + err
    code, out, err = cli("bench", "--tasks", "pose", "--reference-backbone", "timm:resnet10t", "--out", str(tmp_path))
    assert code != 0 and "give --corruptions too" in out + err
    code, out, err = cli("bench", "--tasks", "pose", "--train-skew", "skin_tone=dark:2", "--out", str(tmp_path))
    assert code != 0 and "0 < SHARE <= 1" in out + err
