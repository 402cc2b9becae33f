"""Tables of the robustness and subgroup axes, from records (pure pandas: nothing here plots or writes).

- Corrupted rows (``corruption`` other than ``clean``, whole test set): the primary metric per task, backbone,
  mode, corruption and severity, mean ± 95 % CI over seeds, at the largest label budget of each task and mode.
  The clean rows of the same runs are severity 0 of every corruption.
- Subgroup rows (``group`` = ``ATTR=VALUE``, clean images): per group the value (mean over seeds), the
  bootstrap 95 % CI of the group's test samples (``ci_low`` / ``ci_high``, bounds averaged over seeds), the
  test-sample count (``n_group``), and ``small`` when the bench gave the group no CI (too few samples).
  ``ATTR:gap`` rows: best minus worst group, mean ± 95 % CI over seeds.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..bench.corruptions import CORRUPTIONS
from .tables import TRIVIAL_MODE, aggregate, best_mask, format_value, number, select_primary
from .tasks import primary_metric

CLEAN = "clean"
# severity = face pixels / JPEG quality: smaller is harsher
MILDER_WHEN_LARGER = frozenset({"lowres", "jpeg"})
RUN_KEYS = ["task", "backbone", "mode", "x_kind", "x"]
LINE_KEYS = ["task", "metric", "direction", "backbone", "mode", "x_kind", "x"]


def severity_text(value: Any) -> str:
    """A severity as text: ``1``, ``1.0`` and ``"1"`` -> ``"1"``; ``"mask"`` stays; missing -> ``"0"``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "0"
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value).strip()


def axis_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``corruption`` (missing -> clean), ``severity`` (text) and ``group`` (missing -> "") filled
    in."""
    out = df.copy()
    out["corruption"] = out["corruption"].fillna(CLEAN).astype(str) if "corruption" in out else CLEAN
    out["severity"] = [severity_text(v) for v in out["severity"]] if "severity" in out else "0"
    out["group"] = out["group"].fillna("").astype(str) if "group" in out else ""
    return out


def _registry_severities(corruption: str) -> tuple[str, ...]:
    """The severities the bench declares for ``corruption`` (in their order); () for one it does not know."""
    return tuple(CORRUPTIONS.get(corruption).severities or ()) if corruption in CORRUPTIONS else ()


def severity_order(corruption: str, severities: Iterable[str]) -> list[str]:
    """Severities from mild to strong: numeric ones ascending (descending for face size / JPEG quality);
    named ones (occluders) in the bench's declared order, unknown names last."""
    sevs = sorted({s for s in severities if s != "0"} or set())
    try:
        return sorted(sevs, key=float, reverse=corruption in MILDER_WHEN_LARGER)
    except ValueError:
        known = _registry_severities(corruption)
        return sorted(sevs, key=lambda s: (known.index(s) if s in known else len(known), s))


def is_ordinal(severities: Iterable[str]) -> bool:
    """True when every severity is a number (a curve makes sense); False for named occluders."""
    try:
        [float(s) for s in severities]
    except ValueError:
        return False
    return True


def largest_budget(agg: pd.DataFrame) -> pd.DataFrame:
    """Rows of each (task, mode) at its largest label budget (label fractions before shots)."""
    keep = []
    for _, g in agg.groupby(["task", "mode"], sort=True):
        sub = g[g["x_kind"] == min(g["x_kind"].unique())]
        keep.append(sub[np.isclose(sub["x"].astype(float), float(sub["x"].max()))])
    return pd.concat(keep, ignore_index=True) if keep else agg.iloc[0:0]


def with_line(df: pd.DataFrame) -> pd.DataFrame:
    """Adds ``line``: the backbone, and its mode when the rows hold several modes."""
    several = df["mode"].nunique() > 1
    return df.assign(line=[f"{b} ({m})" if several else str(b) for b, m in zip(df["backbone"], df["mode"])])


def has_corruptions(df: pd.DataFrame) -> bool:
    return "corruption" in df.columns and bool(df["corruption"].fillna(CLEAN).astype(str).ne(CLEAN).any())


def has_groups(df: pd.DataFrame) -> bool:
    return ("group" in df.columns
            and bool(df["group"].fillna("").astype(str).str.contains("=", regex=False).any()))


def degradation(df: pd.DataFrame) -> pd.DataFrame:
    """Primary metric per (task, backbone, mode, corruption, severity) with ``mean``, ``std``, ``ci``,
    ``n_seeds`` and ``line``, at the largest label budget; only runs that have corrupted rows (their clean
    rows included)."""
    d = axis_columns(df)
    d = d[d["group"].eq("") & d["mode"].astype(str).ne(TRIVIAL_MODE)]
    if not d["corruption"].ne(CLEAN).any():
        return pd.DataFrame()
    agg = aggregate(select_primary(d), ("corruption", "severity"))
    runs = agg.loc[agg["corruption"] != CLEAN, RUN_KEYS].drop_duplicates()
    return with_line(largest_budget(agg.merge(runs, on=RUN_KEYS)))


def visibility(df: pd.DataFrame) -> pd.DataFrame:
    """Under occluders, each task's primary metric on all, visible and occluded parts (the bench's
    ``METRIC_visible`` / ``METRIC_occluded`` rows): like :func:`degradation` with a ``part`` column
    ("all", "visible", "occluded"); only tasks that have those rows."""
    d = axis_columns(df)
    d = d[d["group"].eq("") & d["mode"].astype(str).ne(TRIVIAL_MODE) & d["corruption"].ne(CLEAN)]
    parts = []
    for task, rows in d.groupby("task", sort=True):
        metric, _ = primary_metric(str(task))
        names = {metric: "all", f"{metric}_visible": "visible", f"{metric}_occluded": "occluded"}
        sel = rows[rows["metric"].isin(names)]
        if sel["metric"].ne(metric).any():
            parts.append(sel.assign(part=sel["metric"].map(names), metric=metric))
    if not parts:
        return pd.DataFrame()
    sel = pd.concat(parts, ignore_index=True)
    runs = sel.loc[sel["part"] != "all",
                   ["task", "backbone", "mode", "corruption", "severity"]].drop_duplicates()
    agg = aggregate(select_primary(sel.merge(runs)), ("corruption", "severity", "part"))
    return with_line(largest_budget(agg))


def visibility_cells(vis: pd.DataFrame, task: str) -> tuple[pd.DataFrame, list[str]]:
    """(text, headers) of one task: rows ``CORRUPTION SEVERITY``, columns ``LINE · all | visible |
    occluded``."""
    rows = vis[vis["task"] == task]
    index = [f"{c} {s}" for c in sorted(rows["corruption"].unique())
             for s in severity_order(c, rows.loc[rows["corruption"] == c, "severity"])]
    cols = [f"{ln} · {p}" for ln in sorted(rows["line"].unique()) for p in ("all", "visible", "occluded")]
    cells = pd.DataFrame("–", index=pd.Index(index, name="occluder"), columns=cols)
    for r in rows.itertuples(index=False):
        cells.loc[f"{r.corruption} {r.severity}", f"{r.line} · {r.part}"] = format_value(r.mean, r.ci)
    return cells, cols


def trivial_level(df: pd.DataFrame, task: str, x_kind: str, x: float) -> float:
    """Mean primary metric of the bench's trivial baseline for ``task`` at one label budget (NaN when
    absent)."""
    d = axis_columns(df)
    d = d[d["mode"].astype(str).eq(TRIVIAL_MODE) & d["task"].eq(task) & d["corruption"].eq(CLEAN)
          & d["group"].eq("")]
    if d.empty:
        return math.nan
    p = select_primary(d)
    p = p[(p["x_kind"] == x_kind) & np.isclose(p["x"].astype(float), x)]
    return float(p["value"].mean()) if len(p) else math.nan


def degradation_cells(deg: pd.DataFrame, task: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(text, best flags, headers) of one task: rows ``clean`` then ``CORRUPTION SEVERITY`` (mild to strong),
    columns one per line (backbone); cells mean ± CI over seeds; best per row marked."""
    rows = deg[deg["task"] == task]
    lines = sorted(rows["line"].unique())
    order = [(CLEAN, "0")] + [(c, s) for c in sorted(set(rows["corruption"]) - {CLEAN})
                              for s in severity_order(c, rows.loc[rows["corruption"] == c, "severity"])]
    index = [CLEAN if c == CLEAN else f"{c} {s}" for c, s in order]
    cells = pd.DataFrame("–", index=pd.Index(index, name="corruption"), columns=lines)
    means = pd.DataFrame(np.nan, index=cells.index, columns=lines)
    for r in rows.itertuples(index=False):
        name = CLEAN if r.corruption == CLEAN else f"{r.corruption} {r.severity}"
        cells.loc[name, r.line] = format_value(r.mean, r.ci)
        means.loc[name, r.line] = r.mean
    direction = str(rows["direction"].iloc[0])
    best = (means.apply(lambda row: best_mask(row, direction), axis=1) if len(lines) > 1
            else means.notna() & False)
    return cells, best.astype(bool), lines


def group_summary(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(groups, gaps) at the largest label budget. groups: per line, attribute and group ``value``,
    ``ci_low``, ``ci_high``, ``n`` (test samples), ``n_seeds``, ``small``; gaps: per line and attribute
    ``gap``, ``gap_ci``, ``best``, ``worst`` (group names, direction aware)."""
    d = axis_columns(df)
    d = d[d["corruption"].eq(CLEAN) & d["group"].str.contains("[=:]", regex=True)
          & d["mode"].astype(str).ne(TRIVIAL_MODE)]
    if not d["group"].str.contains("=", regex=False).any():
        return pd.DataFrame(), pd.DataFrame()
    p = select_primary(d)
    for col in ("ci_low", "ci_high", "n_group"):
        p[col] = pd.to_numeric(p[col], errors="coerce") if col in p else math.nan
    is_gap = p["group"].str.contains(":gap", regex=False)
    g = p[~is_gap].copy()
    g[["attribute", "group"]] = g["group"].str.split("=", n=1, expand=True)
    per_seed = g.groupby([*LINE_KEYS, "attribute", "group", "seed"], sort=True).agg(
        value=("value", "mean"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"), n=("n_group", "max"))
    groups = per_seed.groupby(level=[*LINE_KEYS, "attribute", "group"]).agg(
        value=("value", "mean"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"), n=("n", "max"),
        n_seeds=("value", "size")).reset_index()
    groups["small"] = groups["ci_low"].isna() | groups["ci_high"].isna()
    groups = with_line(largest_budget(groups))
    gap_rows = p[is_gap].assign(attribute=lambda f: f["group"].str.split(":", n=1).str[0])
    gaps = (aggregate(gap_rows, ("attribute",)) if len(gap_rows)
            else pd.DataFrame(columns=[*LINE_KEYS, "attribute"]))
    out = []
    for key, grp in groups.groupby([*LINE_KEYS, "attribute", "line"], sort=True):
        info = dict(zip([*LINE_KEYS, "attribute", "line"], key))
        vals = grp.set_index("group")["value"].dropna()
        sign = 1.0 if info["direction"] == "max" else -1.0
        match = (gaps[np.logical_and.reduce([gaps[k] == info[k] for k in (*RUN_KEYS, "attribute")])]
                 if len(gaps) else gaps)
        gap = (float(match["mean"].iloc[0]) if len(match)
               else float(vals.max() - vals.min()) if len(vals) > 1 else math.nan)
        out.append({**info, "gap": gap, "gap_ci": float(match["ci"].iloc[0]) if len(match) else math.nan,
                    "best": (sign * vals).idxmax() if len(vals) else "",
                    "worst": (sign * vals).idxmin() if len(vals) else ""})
    return groups, pd.DataFrame(out)


def group_cells(groups: pd.DataFrame, gaps: pd.DataFrame, task: str,
                attribute: str) -> tuple[pd.DataFrame, list[str]]:
    """(text table, warnings) of one task and attribute: rows the groups (``ATTR=VALUE``) then the gap;
    columns ``n`` (test samples) and one per line: ``value [ci_low, ci_high]`` (⚠ without a CI)."""
    rows = groups[(groups["task"] == task) & (groups["attribute"] == attribute)]
    lines = sorted(rows["line"].unique())
    names = sorted(rows["group"].unique())
    index = [f"{attribute}={n}" for n in names] + ["gap (best − worst)"]
    cells = pd.DataFrame("–", index=pd.Index(index, name="group"), columns=["n", *lines])
    warnings = []
    for n in names:
        counts = sorted({int(c) for c in rows.loc[rows["group"] == n, "n"].dropna()})
        cells.loc[f"{attribute}={n}", "n"] = "/".join(map(str, counts)) or "?"
    for r in rows.itertuples(index=False):
        if r.small:
            shown = f"{number(r.value)} ⚠" if np.isfinite(r.value) else "– ⚠"
            cells.loc[f"{attribute}={r.group}", r.line] = shown
            n_test = int(r.n) if np.isfinite(r.n) else "?"
            warnings.append(f"{task}, {r.line}: {attribute}={r.group} has {n_test} test samples, too few "
                            "for a bootstrap CI (shown without one)")
        else:
            shown = f"{number(r.value)} [{number(r.ci_low)}, {number(r.ci_high)}]"
            cells.loc[f"{attribute}={r.group}", r.line] = shown
    sel = gaps[(gaps["task"] == task) & (gaps["attribute"] == attribute)] if len(gaps) else gaps
    cells.loc[index[-1], "n"] = ""
    for r in sel.itertuples(index=False):
        cells.loc[index[-1], r.line] = f"{format_value(r.gap, r.gap_ci)} ({r.best} − {r.worst})"
    return cells, warnings
