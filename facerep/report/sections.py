"""The report's robustness and subgroup sections (HTML and Markdown), present only when the records hold
those axes (corrupted rows; ``ATTR=VALUE`` group rows).

HTML hooks: ``<figure class="degradation" data-task=TASK data-corruptions="blur noise">``,
``<table class="degradation">``, ``<table class="robustness">`` (the bench's robustness.csv),
``<figure class="groups" data-task=TASK data-attributes="skin_tone">``, ``<table class="groups">``, and
``<p class="warn">`` for each subgroup too small for a CI.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ReportConfig
from . import axes, plots
from .html import cells_table
from .meta import robustness_summaries
from .tables import VARIANT_COLUMNS, label_variants, markdown_table


def _budget(rows: pd.DataFrame) -> str:
    """'mode linear, fraction 1' of rows at one budget per mode."""
    parts = sorted({f"mode {m}, {k} {x:g}" for m, k, x in zip(rows["mode"], rows["x_kind"], rows["x"])})
    return "; ".join(parts)


def _arrow(direction: str) -> str:
    return "↑" if direction == "max" else "↓"


def _figure(cls: str, attrs: dict[str, str], alt: str, uri: str, caption: str) -> str:
    data = "".join(f' data-{k}="{escape(v)}"' for k, v in attrs.items())
    return (f'<figure class="{cls}"{data}><img alt="{escape(alt)}" src="{uri}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _no_best(cells: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(False, index=cells.index, columns=cells.columns)


def robustness_table(paths: Sequence[Path]) -> tuple[pd.DataFrame, str]:
    """The robustness.csv files of the sources as text cells (index backbone; training variants labelled as in
    the rest of the report), or an empty frame; and the columns left out because they hold one value ("k=v,
    …")."""
    df = pd.concat([robustness_summaries(p) for p in paths] or [pd.DataFrame()], ignore_index=True)
    if df.empty:
        return df, ""
    df = label_variants(df).drop(columns=[c for c in VARIANT_COLUMNS if c in df.columns])
    same = [c for c in ("dataset", "mode", "fraction", "shots") if c in df.columns
            and df[c].nunique(dropna=False) == 1]
    constant = ", ".join(f"{c} {df[c].iloc[0]}" for c in same)
    df = df.drop(columns=same)
    order = [c for c in ("task", "corruption", "backbone") if c in df.columns]
    df = df.drop_duplicates(ignore_index=True).sort_values(order, ignore_index=True)
    text = df.map(lambda v: f"{v:.4g}" if isinstance(v, (float, np.floating)) and np.isfinite(v) else
                  ("–" if isinstance(v, (float, np.floating)) else str(v)))
    return text.set_index("backbone"), constant


def robustness_section(records: pd.DataFrame, paths: Sequence[Path],
                       cfg: ReportConfig) -> tuple[str, list[str]]:
    """HTML and Markdown lines of the degradation curves and tables ("" and [] without corrupted rows)."""
    deg = axes.degradation(records)
    if deg.empty:
        return "", []
    html = [("<h2>Robustness under corruptions</h2><p class='sub'>Primary metric per task against corruption "
             "severity (clean = severity 0); heads trained on clean images unless a line says [train: …]; "
             "mean ± 95 % CI over seeds, at the largest label budget of each task.</p><div class='grid'>")]
    md = ["## Robustness under corruptions", "",
          "Primary metric, mean ± 95 % CI over seeds; clean = severity 0.", ""]
    tables_html = []
    for task in sorted(deg["task"].unique()):
        rows = deg[deg["task"] == task]
        corrs = sorted(set(rows["corruption"]) - {axes.CLEAN})
        first = rows.iloc[0]
        trivial = axes.trivial_level(records, task, str(first["x_kind"]), float(first["x"]))
        uri = plots.to_data_uri(plots.degradation_figure(rows, trivial), cfg.figure_format, cfg.dpi)
        caption = f"{task}: {first['metric']} against severity ({_budget(rows)})"
        html.append(_figure("degradation", {"task": str(task), "corruptions": " ".join(corrs)},
                            f"degradation curves: {task}", uri, caption))
        cells, best, lines = axes.degradation_cells(deg, task)
        title = f"{task}: {first['metric']} {_arrow(str(first['direction']))} ({_budget(rows)})"
        tables_html.append(cells_table(cells, best, lines, "degradation", title))
        md += [f"### {title}", "", markdown_table(cells, best, lines, "corruption"), ""]
    html.append("</div>")
    html += tables_html
    v_html, v_md = _visibility(records)
    html.append(v_html)
    md += v_md
    summary, constant = robustness_table(paths)
    if not summary.empty:
        note = ("The bench's robustness.csv of each source (all its columns): relative error increase over "
                "severities in the spirit of ImageNet-C, pooled over the run's seeds"
                + (f"; the same on every row: {constant}." if constant else "."))
        html += ["<h3>Relative error increase (robustness.csv)</h3>", f"<p class='sub'>{escape(note)}</p>",
                 cells_table(summary, None, list(summary.columns), "robustness")]
        md += ["### Relative error increase (robustness.csv)", "", note, "",
               markdown_table(summary, _no_best(summary), list(summary.columns)), ""]
    return "".join(html), md


def _visibility(records: pd.DataFrame) -> tuple[str, list[str]]:
    """Tables of the primary metric on all / visible / occluded parts under occluders ("" and [] without
    them)."""
    vis = axes.visibility(records)
    if vis.empty:
        return "", []
    note = ("Under each occluder, the primary metric over the whole face, over its visible part and over the "
            "part the occluder hides (labels are amodal), mean ± 95 % CI over seeds.")
    html, md = ["<h3>Visible vs occluded parts</h3>", f"<p class='sub'>{escape(note)}</p>"], [
        "### Visible vs occluded parts", "", note, ""]
    for task in sorted(vis["task"].unique()):
        rows = vis[vis["task"] == task]
        cells, heads = axes.visibility_cells(vis, task)
        title = f"{task}: {rows['metric'].iloc[0]} {_arrow(str(rows['direction'].iloc[0]))} ({_budget(rows)})"
        html.append(cells_table(cells, None, heads, "visibility", title))
        md += [f"#### {title}", "", markdown_table(cells, _no_best(cells), heads, "occluder"), ""]
    return "".join(html), md


def groups_section(records: pd.DataFrame, cfg: ReportConfig) -> tuple[str, list[str]]:
    """HTML and Markdown lines of the per-subgroup bars and tables ("" and [] without group rows)."""
    groups, gaps = axes.group_summary(records)
    if groups.empty:
        return "", []
    note = ("Primary metric per subgroup of the clean test set at the largest label budget: value = mean "
            "over seeds; [low, high] = the group's bootstrap 95 % CI (bounds averaged over seeds); n = test "
            "samples; gap = best minus worst group, mean ± 95 % CI over seeds. ⚠ = too few samples for a CI "
            "(hatched bar).")
    html = ["<h2>Subgroups</h2>", f"<p class='sub'>{escape(note)}</p><div class='grid'>"]
    md = ["## Subgroups", "", note, ""]
    tables_html = []
    for task in sorted(groups["task"].unique()):
        rows = groups[groups["task"] == task]
        task_gaps = gaps[gaps["task"] == task] if len(gaps) else gaps
        attrs = sorted(rows["attribute"].unique())
        uri = plots.to_data_uri(plots.group_figure(rows, task_gaps), cfg.figure_format, cfg.dpi)
        first = rows.iloc[0]
        html.append(_figure("groups", {"task": str(task), "attributes": " ".join(attrs)},
                            f"subgroup bars: {task}", uri,
                            f"{task}: {first['metric']} per subgroup, bootstrap 95 % CI ({_budget(rows)})"))
        for attr in attrs:
            cells, warnings = axes.group_cells(groups, gaps, task, attr)
            title = f"{task}: {first['metric']} {_arrow(str(first['direction']))} by {attr} ({_budget(rows)})"
            tables_html.append(cells_table(cells, None, list(cells.columns), "groups", title))
            tables_html += [f"<p class='warn'>⚠ {escape(w)}</p>" for w in warnings]
            md += [f"### {title}", "", markdown_table(cells, _no_best(cells), list(cells.columns), "group"),
                   ""]
            md += [f"- ⚠ {w}" for w in warnings] + ([""] if warnings else [])
    html.append("</div>")
    html += tables_html
    return "".join(html), md


def build_sections(records: pd.DataFrame, paths: Sequence[Path], cfg: ReportConfig) -> tuple[str, list[str]]:
    """The robustness and subgroup sections of all records: (HTML, Markdown lines); empty without those
    axes."""
    r_html, r_md = robustness_section(records, paths, cfg)
    g_html, g_md = groups_section(records, cfg)
    return r_html + g_html, r_md + g_md
