"""Report tables a reader can trust at a glance: CI ends inside each metric's range, the ★ on the best
backbone (never the trivial baseline), heads that do not beat the trivial baseline flagged, no "-0.000"."""
from __future__ import annotations

import numpy as np
import pandas as pd
from fake_records import EDGE, make_edge_records

from facerep.report import plots, tables
from facerep.report.tasks import metric_range


def _agg() -> pd.DataFrame:
    return tables.aggregate(tables.select_primary(tables.main_records(make_edge_records())))


def test_ci_ends_stay_in_the_metric_range() -> None:
    agg = _agg()
    raw_low = agg["mean"] - agg["ci"]
    raw_high = agg["mean"] + agg["ci"]
    assert (raw_low < 0).any() and (raw_high > 1).any()  # the plain t-interval leaves [0, 1] here
    for r in agg.itertuples():
        low, high = metric_range(r.metric)
        assert low <= r.ci_low <= r.mean <= r.ci_high <= high, r
    assert metric_range("icc") == (-1.0, 1.0) and metric_range("nme_interocular") == (0.0, np.inf)
    fig = plots.fewshot_figure(agg, "parsing", sorted(agg["backbone"].unique()), log_x=False)
    ys = np.concatenate([p.vertices[:, 1] for c in fig.axes[0].collections for p in c.get_paths()])
    assert ys.min() >= 0.0  # the drawn band does not go below F1 = 0


def test_ci_note_says_two_seeds_are_wide() -> None:
    note = tables.ci_note(_agg())
    assert note.startswith("n = 2 seeds") and "12.7" in note and "wide" in note


def test_star_goes_to_the_best_backbone_and_ties_with_trivial_are_flagged() -> None:
    long = tables.score_table(_agg(), "linear", "fraction", 1.0).set_index(["task", "backbone"])
    assert not long.loc[(slice(None), tables.TRIVIAL_LABEL), "best"].any()
    assert long.loc[("expression", "swav pre-trained"), "best"]  # tied with trivial (0.488): still the best
    assert long.loc[("expression", "swav pre-trained"), "below_trivial"]  # ... but it does not beat trivial
    assert long.loc[("expression", "random init"), "below_trivial"]
    assert not long.loc[("parsing", "random init"), "below_trivial"]  # 0.025 > 0.005
    assert long.loc[("au", "random init"), "below_trivial"]  # ICC 0.000 is not above 0.000
    assert not long.loc[(slice(None), tables.TRIVIAL_LABEL), "below_trivial"].any()
    assert set(long.index.get_level_values("task")) == set(EDGE)


def test_no_negative_zero() -> None:
    assert tables.number(-1e-9) == "0.000" and tables.number(-0.0004) == "0.000"
    assert tables.number(-0.0006) == "-0.001"
    assert tables.format_value(-1e-9, 1e-10) == "0.000 ± 0.000"
    cells, _, _ = tables.wide_table(tables.score_table(_agg(), "linear", "fraction", 1.0))
    assert not cells.map(lambda v: "-0.000" in v).any().any()
