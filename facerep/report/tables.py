"""Tables of a report, from records: the primary metric per task, aggregated over seeds (mean, std,
95 % CI), the task x backbone table with the best per task marked, and a normalised summary score.

All functions take and return pandas frames; nothing here plots or writes files.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .tasks import metric_range, primary_metric

TRIVIAL_MODE, TRIVIAL_LABEL = "trivial", "trivial baseline"
GROUP_KEYS = ["task", "metric", "direction", "backbone", "mode", "x_kind", "x"]


# record columns that say a run's heads were trained differently (bench --train-corruptions / --train-skew):
# such runs are shown as their own line, "BACKBONE [LABEL: VALUE]"; "clean" / empty mean the default training
VARIANT_COLUMNS = {"train_corruptions": "train", "train_skew": "skew"}


def label_variants(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``backbone`` suffixed by the training variant of each row (see :data:`VARIANT_COLUMNS`), so
    that runs of one backbone trained differently are never averaged together. Unchanged without those
    columns."""
    out = df
    for col, label in VARIANT_COLUMNS.items():
        if col not in df.columns:
            continue
        v = df[col].fillna("").astype(str).str.strip()
        mark = ~v.isin(["", "clean", "nan", "none"])
        if mark.any():
            out = out.copy() if out is df else out
            out.loc[mark, "backbone"] = out.loc[mark, "backbone"].astype(str) + f" [{label}: " + v[mark] + "]"
    return out


def main_records(df: pd.DataFrame) -> pd.DataFrame:
    """Records of the main protocol (clean images, whole test set), trivial baselines as one backbone."""
    return _trivial_as_backbone(clean_rows(df))


def clean_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of clean images on the whole test set (robustness and fairness rows left out)."""
    keep = pd.Series(True, index=df.index)
    if "corruption" in df.columns:
        keep &= df["corruption"].fillna("clean").astype(str).eq("clean")
    if "group" in df.columns:
        keep &= df["group"].fillna("").astype(str).eq("")
    return df[keep]


def _trivial_as_backbone(df: pd.DataFrame) -> pd.DataFrame:
    """The bench's trivial baselines (mode ``trivial``: mean shape, majority class …) do not depend on the
    backbone: shown once per task as backbone ``trivial baseline``, in the mode of the other rows when
    there is one mode."""
    trivial = df["mode"].astype(str).eq(TRIVIAL_MODE)
    if not trivial.any():
        return df
    rest, triv = df[~trivial], df[trivial].copy()
    modes = rest["mode"].astype(str).unique()
    triv["backbone"] = TRIVIAL_LABEL
    if len(modes) == 1:
        triv["mode"] = modes[0]
    triv = triv.drop_duplicates(subset=["task", "dataset", "mode", "fraction", "shots", "seed", "metric"])
    return pd.concat([rest, triv], ignore_index=True)


def _x_axis(df: pd.DataFrame) -> pd.DataFrame:
    """Adds ``x_kind`` ("fraction" or "shots") and ``x``: label fraction, or shots when a task has no
    fractions."""
    df = df.copy()
    frac = pd.to_numeric(df["fraction"], errors="coerce")
    shots = pd.to_numeric(df["shots"], errors="coerce")
    by_shots = ~(frac > 0) & (shots > 0)
    df["x_kind"] = np.where(by_shots, "shots", "fraction")
    df["x"] = np.where(by_shots, shots, frac)
    return df[df["x"].notna()]


def select_primary(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of each task's primary metric, with ``direction``. A task whose primary metric is absent
    from its records falls back to its first metric (alphabetically), so its curve still shows."""
    parts = []
    for task, rows in df.groupby("task", sort=True):
        metric, direction = primary_metric(str(task))
        present = sorted(rows["metric"].astype(str).unique())
        if metric not in present:
            metric = present[0] if present else metric
        sel = rows[rows["metric"].astype(str) == metric].copy()
        sel["direction"] = direction
        parts.append(sel)
    if not parts:
        return df.assign(direction=pd.Series(dtype=str)).iloc[0:0]
    return _x_axis(pd.concat(parts, ignore_index=True))


def ci95(values: np.ndarray) -> tuple[float, float, float, int]:
    """(mean, std, 95 % CI half width, n) over the finite values; NaNs when none is finite."""
    # deferred: bench.metrics loads scipy, which `facerep --help` (it loads this module through the demo and
    # redundancy-study commands) does not need
    from ..bench.metrics import mean_ci95

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean, std, half = mean_ci95(v)
    return mean, std, half, int(v.size)


def aggregate(primary: pd.DataFrame, extra_keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """Mean, std, CI half width and number of seeds per (task, backbone, mode, x, *extra_keys), and the CI's
    ends ``ci_low`` / ``ci_high`` (mean ∓ half width) clipped to the values the metric can take
    (:func:`metric_range`: an F1 band never goes below 0, nor an accuracy's above 1)."""
    keys = [*GROUP_KEYS, *extra_keys]
    rows = []
    for key, g in primary.groupby(keys, sort=True):
        values = g.groupby("seed")["value"].mean().to_numpy()  # one value per seed
        mean, std, half, n = ci95(values)
        low, high = metric_range(str(dict(zip(keys, key))["metric"]))
        ends = np.clip([mean - half, mean + half], low, high) if np.isfinite(half) else (math.nan, math.nan)
        rows.append({**dict(zip(keys, key)), "mean": mean, "std": std, "ci": half, "n_seeds": n,
                     "ci_low": float(ends[0]), "ci_high": float(ends[1])})
    return pd.DataFrame(rows, columns=[*keys, "mean", "std", "ci", "n_seeds", "ci_low", "ci_high"])


def ci_note(agg: pd.DataFrame) -> str:
    """How wide the 95 % CIs are at the fewest seeds of ``agg`` (Student t: half width = t × std / √n)."""
    n = agg["n_seeds"][agg["n_seeds"] > 0]
    if n.empty:
        return ""
    k = int(n.min())
    if k < 2:
        return "one seed only: no CI (run more seeds for one)"
    from scipy import stats  # deferred: see ci95

    t = float(stats.t.ppf(0.975, k - 1))
    wide = "; with so few seeds the intervals are wide: run more seeds for tighter ones" if k <= 3 else ""
    return (f"n = {k} seeds: the 95 % CI half width is t = {t:.1f} × std / √{k} = {t / math.sqrt(k):.1f} × "
            f"the std across seeds{wide}; bands are clipped to each metric's range")


def best_mask(values: pd.Series, direction: str) -> pd.Series:
    """True where ``values`` is the best (ties all marked)."""
    if values.notna().sum() == 0:
        return pd.Series(False, index=values.index)
    best = values.max() if direction == "max" else values.min()
    return values.eq(best)


def score_table(agg: pd.DataFrame, mode: str, x_kind: str, x: float, digits: int = 3) -> pd.DataFrame:
    """The aggregated primary metric at one (mode, fraction or shots), as a long frame (backbone, task,
    metric, direction, mean, ci, n_seeds, best, below_trivial). ``best``: the best *backbone* per task (ties
    all marked; the trivial baseline is never best). ``below_trivial``: a backbone whose mean, shown with
    ``digits`` decimals, is not better than the task's trivial baseline (a head that learnt nothing the
    baseline does not know)."""
    sel = agg[(agg["mode"] == mode) & (agg["x_kind"] == x_kind)
              & np.isclose(agg["x"].astype(float), x)].copy()
    sel["best"] = False
    sel["below_trivial"] = False
    for idx in sel.groupby("task").groups.values():
        part = sel.loc[idx]
        direction = str(part["direction"].iloc[0])
        trivial = part["backbone"].eq(TRIVIAL_LABEL)
        sel.loc[idx, "best"] = (best_mask(part["mean"].where(~trivial), direction) & ~trivial).to_numpy()
        if trivial.any():
            sign = 1.0 if direction == "max" else -1.0
            reference = round(float(part.loc[trivial, "mean"].iloc[0]), digits)
            gain = sign * (part["mean"].round(digits) - reference)
            sel.loc[idx, "below_trivial"] = (~trivial & ~(gain > 0)).to_numpy()
    columns = ["backbone", "task", "metric", "direction", "mean", "ci", "n_seeds", "best", "below_trivial"]
    return sel[columns].reset_index(drop=True)


def table_settings(agg: pd.DataFrame) -> list[tuple[str, str, float]]:
    """The (mode, x_kind, x) settings that have results, largest label budget first."""
    keys = agg[["mode", "x_kind", "x"]].drop_duplicates()
    keys = keys.sort_values(["mode", "x_kind", "x"], ascending=[True, True, False])
    return [(str(m), str(k), float(x)) for m, k, x in keys.itertuples(index=False)]


def normalised_scores(agg: pd.DataFrame) -> pd.DataFrame:
    """Per (task, mode, x), each backbone's score scaled to [0, 1] across backbones (1 = best, direction
    aware; 1 for all when they tie), and its rank (1 = best); then averaged over modes and label budgets.
    Returns rows backbone, columns task + ``mean`` (score) and a parallel frame of mean ranks."""
    parts = []
    for _, g in agg.groupby(["task", "mode", "x_kind", "x"]):
        g = g[g["mean"].notna()]
        if g.empty:
            continue
        sign = 1.0 if str(g["direction"].iloc[0]) == "max" else -1.0
        s = sign * g["mean"].astype(float)
        span = s.max() - s.min()
        score = (s - s.min()) / span if span > 0 else pd.Series(1.0, index=s.index)
        parts.append(pd.DataFrame({"backbone": g["backbone"], "task": g["task"], "score": score,
                                   "rank": s.rank(ascending=False, method="min")}))
    if not parts:
        return pd.DataFrame()
    long = pd.concat(parts, ignore_index=True)
    score = long.pivot_table(index="backbone", columns="task", values="score", aggfunc="mean")
    rank = long.pivot_table(index="backbone", columns="task", values="rank", aggfunc="mean")
    score["mean"] = score.mean(axis=1)
    score["mean rank"] = rank.mean(axis=1)
    return score.sort_values("mean", ascending=False)


def number(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals; a value that rounds to zero is "0.000", never "-0.000"."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_value(mean: float, ci: float, digits: int = 3) -> str:
    if not np.isfinite(mean):
        return "–"
    return f"{number(mean, digits)} ± {number(ci, digits)}" if np.isfinite(ci) else number(mean, digits)


def flags(long: pd.DataFrame, column: str, like: pd.DataFrame) -> pd.DataFrame:
    """A boolean ``column`` of a :func:`score_table` as a backbone x task frame shaped like ``like``."""
    wide = long.pivot(index="backbone", columns="task", values=column).reindex_like(like)
    return wide.fillna(False).astype(bool)


def wide_table(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(text, best flags, column headers) of a :func:`score_table` as backbone x task frames."""
    text = long.assign(cell=[format_value(m, c) for m, c in zip(long["mean"], long["ci"])])
    cells = text.pivot(index="backbone", columns="task", values="cell").fillna("–")
    best = flags(long, "best", cells)
    heads = []
    for task in cells.columns:
        row = long[long["task"] == task].iloc[0]
        heads.append(f"{task} {row['metric']} {'↑' if row['direction'] == 'max' else '↓'}")
    return cells, best, heads


DIM_MARK = "†"  # Markdown mark of a score not better than the trivial baseline


def markdown_table(cells: pd.DataFrame, best: pd.DataFrame, heads: list[str], index_name: str = "backbone",
                   dim: pd.DataFrame | None = None) -> str:
    """A GitHub-flavoured Markdown table; best entries in bold, ``dim`` entries marked with :data:`DIM_MARK`.
    """
    lines = ["| " + " | ".join([index_name, *heads]) + " |", "|" + "---|" * (len(heads) + 1)]
    marks = best.reindex(columns=cells.columns).to_numpy(bool)  # positional: the index may repeat
    dims = (dim.reindex(columns=cells.columns).to_numpy(bool) if dim is not None
            else np.zeros(cells.shape, dtype=bool))
    for (name, row), row_best, row_dim in zip(cells.iterrows(), marks, dims):
        vals = [(f"**{v}**" if b else str(v)) + (f" {DIM_MARK}" if d else "")
                for v, b, d in zip(row, row_best, row_dim)]
        lines.append("| " + " | ".join([str(name), *vals]) + " |")
    return "\n".join(lines)
