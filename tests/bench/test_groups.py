import numpy as np
import pytest

from facerep.bench.groups import breakdown, gaps, group_labels
from facerep.errors import ConfigError


def test_planted_gap_found_with_separated_cis():
    rng = np.random.default_rng(0)
    labels = np.array(["light"] * 200 + ["dark"] * 200, dtype=object)
    correct = np.r_[rng.random(200) < 0.9, rng.random(200) < 0.6]
    res = breakdown(lambda idx: {"accuracy": float(correct[idx].mean())}, labels, "skin_tone", n_boot=300, seed=1)
    by = {r.group: r for r in res}
    assert by["light"].n == 200 and abs(by["light"].value - correct[:200].mean()) < 1e-12
    assert by["dark"].ci_high < by["light"].ci_low  # CIs separate
    assert by["dark"].ci_low <= by["dark"].value <= by["dark"].ci_high
    g = gaps(res)[("skin_tone", "accuracy")]
    assert abs(g - (correct[:200].mean() - correct[200:].mean())) < 1e-12


def test_small_group_warned_not_dropped():
    labels = np.array(["a"] * 20 + ["b"] * 2, dtype=object)
    with pytest.warns(UserWarning, match="b has 2 test samples"):
        res = breakdown(lambda idx: {"m": float(len(idx))}, labels, "x", n_boot=10)
    b = [r for r in res if r.group == "b"][0]
    assert b.n == 2 and np.isnan(b.ci_low)


def test_unknown_attribute():
    with pytest.raises(ConfigError, match="no subgroup attribute 'age'; available: skin_tone"):
        group_labels([{"skin_tone": "dark"}], "age", task="expression", dataset="synth:")
    assert group_labels([{"a": "1"}, {}], "a").tolist() == ["1", "unknown"]


def test_skewed_training_split():
    from facerep.bench.groups import parse_skew, skew_positions

    assert parse_skew("skin_tone=dark") == ("skin_tone", "dark", 1.0)
    assert parse_skew(" age = old : 0.75") == ("age", "old", 0.75)
    for bad in ("skin_tone", "=dark", "skin_tone=dark:0", "skin_tone=dark:1.5", "skin_tone=dark:x"):
        with pytest.raises(ConfigError, match="ATTR=VALUE"):
            parse_skew(bad)
    labels = np.array(["a"] * 30 + ["b"] * 60, dtype=object)
    pos = np.arange(100, 190)
    only = skew_positions(pos, labels, "a", 1.0, seed=0)
    assert only.tolist() == list(range(100, 130))
    mixed = skew_positions(pos, labels, "a", 0.75, seed=0)
    assert len(mixed) == 40 and set(range(100, 130)) <= set(mixed.tolist())
    assert (mixed == skew_positions(pos, labels, "a", 0.75, seed=0)).all()  # seeded
    assert len(skew_positions(pos, labels, "a", 0.2, seed=0)) == 90  # already skewed enough: unchanged
