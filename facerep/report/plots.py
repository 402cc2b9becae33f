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


def fewshot_figure(agg: pd.DataFrame, task: str, backbones: list[str], log_x: bool = True) -> Figure:
    """Primary metric against label budget for one task: one line per backbone (and line style per
    mode), mean over seeds with a shaded 95 % CI band. ``agg``: rows of :func:`tables.aggregate`."""
    rows = agg[agg["task"] == task]
    fig, ax = plt.subplots(figsize=(4.6, 3.3))
    colors = _colors(backbones)
    modes = sorted(rows["mode"].unique())
    for (backbone, mode), g in rows.groupby(["backbone", "mode"], sort=True):
        g = g.sort_values("x")
        x, m, ci = g["x"].to_numpy(float), g["mean"].to_numpy(float), g["ci"].to_numpy(float)
        label = backbone if len(modes) == 1 else f"{backbone} ({mode})"
        style = LINESTYLES[modes.index(mode) % len(LINESTYLES)]
        ax.plot(x, m, style, marker="o", ms=4, color=colors.get(backbone), label=label)
        band = np.isfinite(ci)
        if band.any():
            ax.fill_between(x[band], (m - ci)[band], (m + ci)[band], color=colors.get(backbone), alpha=0.18, lw=0)
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
