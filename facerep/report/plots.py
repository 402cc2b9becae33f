"""Figures of a report (matplotlib, Agg), returned as data URIs to embed in a self-contained page."""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .axes import CLEAN, is_ordinal, severity_order

LINESTYLES = ("-", "--", ":", "-.")


def to_data_uri(fig: Figure, fmt: str = "png", dpi: int = 110) -> str:
    """Render ``fig`` as a ``data:`` URI (PNG or SVG, base64) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _colors(names: list[str]) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10")
    return {n: cmap(i % 10) for i, n in enumerate(names)}


def ci_band(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each row's 95 % CI: ``ci_low`` / ``ci_high`` (clipped to the metric's range by
    :func:`tables.aggregate`) when present, else mean ∓ ``ci``."""
    if {"ci_low", "ci_high"} <= set(rows.columns):
        return rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    m, ci = rows["mean"].to_numpy(float), rows["ci"].to_numpy(float)
    return m - ci, m + ci


def fewshot_figure(agg: pd.DataFrame, task: str, backbones: list[str], log_x: bool = True) -> Figure:
    """Primary metric against label budget for one task: one line per backbone (and line style per
    mode), mean over seeds with a shaded 95 % CI band. ``agg``: rows of :func:`tables.aggregate`."""
    rows = agg[agg["task"] == task]
    fig, ax = plt.subplots(figsize=(4.6, 3.3))
    colors = _colors(backbones)
    modes = sorted(rows["mode"].unique())
    for (backbone, mode), g in rows.groupby(["backbone", "mode"], sort=True):
        g = g.sort_values("x")
        x, m = g["x"].to_numpy(float), g["mean"].to_numpy(float)
        label = backbone if len(modes) == 1 else f"{backbone} ({mode})"
        style = LINESTYLES[modes.index(mode) % len(LINESTYLES)]
        ax.plot(x, m, style, marker="o", ms=4, color=colors.get(backbone), label=label)
        low, high = ci_band(g)
        band = np.isfinite(low) & np.isfinite(high)
        if band.any():
            ax.fill_between(x[band], low[band], high[band], color=colors.get(backbone), alpha=0.18, lw=0)
    metric, direction = str(rows["metric"].iloc[0]), str(rows["direction"].iloc[0])
    x_kind = str(rows["x_kind"].iloc[0])
    if log_x and (rows["x"] > 0).all() and rows["x"].nunique() > 1:
        ax.set_xscale("log")
        ticks = sorted(rows["x"].unique())
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.set_xlabel("label fraction" if x_kind == "fraction" else "shots")
    ax.set_ylabel(f"{metric} ({'higher' if direction == 'max' else 'lower'} is better)")
    ax.set_title(task)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, frameon=False)
    return fig


def summary_figure(scores: pd.DataFrame) -> Figure:
    """Heat map of normalised scores (backbone x task, 1 = best across backbones) with a mean column."""
    cols = [c for c in scores.columns if c != "mean rank"]
    data = scores[cols].to_numpy(float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.85 * len(cols), 0.9 + 0.45 * len(scores)))
    im = ax.imshow(data, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=35, ha="right")
    ax.set_yticks(range(len(scores)))
    ax.set_yticklabels(list(scores.index))
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if np.isfinite(data[i, j]):
                ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if data[i, j] > 0.6 else "white")
    ax.axvline(len(cols) - 1.5, color="white", lw=2)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="normalised score (1 = best)")
    ax.set_title("summary: score normalised per task and label budget, averaged")
    return fig


def degradation_figure(rows: pd.DataFrame, trivial: float = float("nan")) -> Figure:
    """Primary metric against corruption severity for one task: one subplot per corruption, one line per
    backbone (line style per mode), mean over seeds with a 95 % CI band; x = 0 is the clean test set.
    Named severities (occluders) are drawn as points with error bars, not a curve.
    ``rows``: one task's rows of :func:`axes.degradation`; ``trivial``: the trivial baseline (dotted), if
    any."""
    corruptions = sorted(set(rows["corruption"]) - {CLEAN})
    ncols = min(3, len(corruptions))
    nrows = -(-len(corruptions) // ncols)
    fig, axs = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 0.6, 2.7 * nrows + 0.5), sharey=True,
                            squeeze=False, layout="constrained")
    colors = _colors(sorted(rows["backbone"].unique()))
    modes = sorted(rows["mode"].unique())
    for ax, corr in zip(axs.flat, corruptions):
        sevs = severity_order(corr, rows.loc[rows["corruption"] == corr, "severity"])
        ordinal = is_ordinal(sevs)
        pos = {(CLEAN, "0"): 0, **{(corr, s): i + 1 for i, s in enumerate(sevs)}}
        for (backbone, mode, line), g in rows.groupby(["backbone", "mode", "line"], sort=True):
            g = g[[(c, s) in pos for c, s in zip(g["corruption"], g["severity"])]]
            g = g.assign(pos=[pos[(c, s)] for c, s in zip(g["corruption"], g["severity"])]).sort_values("pos")
            x, m = g["pos"].to_numpy(float), g["mean"].to_numpy(float)
            style = LINESTYLES[modes.index(mode) % len(LINESTYLES)] if ordinal else "none"
            ax.plot(x, m, linestyle=style, marker="o", ms=4, color=colors[backbone], label=line)
            low, high = ci_band(g)
            band = np.isfinite(low) & np.isfinite(high)
            if ordinal and band.any():
                ax.fill_between(x[band], low[band], high[band], color=colors[backbone], alpha=0.18, lw=0)
            elif band.any():
                err = np.vstack([m - low, high - m])[:, band].clip(min=0.0)
                ax.errorbar(x[band], m[band], yerr=err, fmt="none", ecolor=colors[backbone], capsize=3)
        if np.isfinite(trivial):
            ax.axhline(trivial, color="0.5", ls=":", lw=1, label="trivial baseline")
        ax.set_xticks(range(len(sevs) + 1))
        ax.set_xticklabels([CLEAN, *sevs])
        ax.set_title(corr, fontsize=10)
        ax.set_xlabel("severity (mild → strong)" if ordinal else "occluder", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axs.flat)[len(corruptions):]:
        ax.set_visible(False)
    metric, direction = str(rows["metric"].iloc[0]), str(rows["direction"].iloc[0])
    for ax in axs[:, 0]:
        ax.set_ylabel(f"{metric} ({'higher' if direction == 'max' else 'lower'} is better)", fontsize=8)
    axs[0, 0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"{rows['task'].iloc[0]} under corruptions", fontsize=11)
    return fig


def group_figure(groups: pd.DataFrame, gaps: pd.DataFrame) -> Figure:
    """Per-subgroup bars for one task: one subplot per attribute, bars per group clustered by backbone,
    whiskers the group's bootstrap 95 % CI; hatched bars have no CI (too few samples). Tick labels carry each
    backbone's best-minus-worst gap. ``groups`` / ``gaps``: one task's rows of :func:`axes.group_summary`."""
    attrs = sorted(groups["attribute"].unique())
    widths = [groups.loc[groups["attribute"] == a, "line"].nunique()
              * groups.loc[groups["attribute"] == a, "group"].nunique() for a in attrs]
    fig, axs = plt.subplots(1, len(attrs), figsize=(sum(max(3.6, 0.45 * w + 1.6) for w in widths), 3.4),
                            squeeze=False, layout="constrained")
    palette = plt.get_cmap("Set2")
    for ax, attr in zip(axs[0], attrs):
        rows = groups[groups["attribute"] == attr]
        lines, names = sorted(rows["line"].unique()), sorted(rows["group"].unique())
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            sub = rows[rows["group"] == name].set_index("line").reindex(lines)
            v = sub["value"].to_numpy(float)
            lo, hi = sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float)
            err = np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0).clip(min=0.0)
            small = sub["small"].fillna(False).to_numpy(bool)
            xs = np.arange(len(lines)) - 0.4 + width * (j + 0.5)
            bars = ax.bar(xs, np.nan_to_num(v), width * 0.92, yerr=err, capsize=3, color=palette(j % 8),
                          edgecolor="0.3", lw=0.5, label=name, error_kw={"lw": 1})
            for bar, s in zip(bars, small):
                if s:
                    bar.set_hatch("//")
        gap = (gaps[gaps["attribute"] == attr].set_index("line")["gap"] if len(gaps)
               else pd.Series(dtype=float))
        ax.set_xticks(range(len(lines)))
        ax.set_xticklabels([f"{ln}\ngap {gap[ln]:.3f}" if ln in gap and np.isfinite(gap[ln]) else ln
                            for ln in lines],
                           fontsize=8)
        metric, direction = str(rows["metric"].iloc[0]), str(rows["direction"].iloc[0])
        ax.set_ylabel(f"{metric} ({'higher' if direction == 'max' else 'lower'} is better)", fontsize=8)
        ax.set_title(f"{rows['task'].iloc[0]} by {attr}", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(title=attr, fontsize=7, title_fontsize=7, frameon=False)
    return fig
