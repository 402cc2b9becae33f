"""``make_report(DIRS, out)``: records -> report.html (self-contained) + report.md (same tables)."""
from __future__ import annotations

import time
from collections.abc import Sequence
from html import escape
from pathlib import Path

import pandas as pd

from ..config import ReportConfig
from ..errors import DataError
from ..io import atomic_write_text
from ..records import read_records
from . import meta, plots, sections, tables
from .html import frame_table, render_page

RUN_KEYS = ["run_id", "backbone", "task", "mode", "fraction", "shots", "seed"]


def load_results(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Records of every path: a records file, a directory with ``records.csv`` (a bench or sweep output:
    its merged file only), or a directory searched for ``records.csv`` files. Exact duplicates dropped."""
    frames = []
    for p in map(Path, paths):
        if not p.exists():
            raise DataError("no such file or directory", str(p))
        target = p / "records.csv" if p.is_dir() and (p / "records.csv").is_file() else p
        frames.append(read_records(target))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return df.drop_duplicates(ignore_index=True)


def compute_seconds(df: pd.DataFrame) -> pd.Series:
    """Seconds per backbone, one ``seconds`` value per run (rows of one run repeat it per metric)."""
    keys = [k for k in RUN_KEYS if k in df.columns]
    per_run = df.groupby(keys, dropna=False)["seconds"].max().reset_index()
    return per_run.groupby("backbone")["seconds"].sum()


def compute_table(df: pd.DataFrame, paths: Sequence[Path]) -> pd.DataFrame:
    """Wall seconds per backbone: its bench runs (sum over runs), its pre-training when a source sweep ran it
    ("–" when unknown), and their total."""
    bench = compute_seconds(df[df["backbone"] != tables.TRIVIAL_LABEL])
    pre: dict[str, float] = {}
    for p in paths:
        for label, sec in (meta.pretrain_seconds(p) if p.is_dir() else {}).items():
            pre[label] = pre.get(label, 0.0) + sec
    rows = {b: {"bench": f"{s:.1f}", "pre-training": f"{pre[b]:.1f}" if b in pre else "–",
                "total": f"{s + pre.get(b, 0.0):.1f}"} for b, s in bench.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["bench", "pre-training", "total"])
    return table.rename_axis("seconds")


def _meta_html(paths: Sequence[Path], df: pd.DataFrame, excluded: int,
               shown: bool = False) -> tuple[str, list[str]]:
    """The metadata section (HTML) and its Markdown lines. ``shown``: the robustness/subgroup sections are
    there."""
    where = "in the robustness / subgroup sections" if shown else "not shown here"
    src = []
    for p in paths:
        info = meta.sweep_info(p) if p.is_dir() else {}
        src.append({"source": str(p), "sweep": info.get("name", "-"), "cells": info.get("cells", "-"),
                    "wall time (s)": info.get("wall_seconds", "-")})
    sources = pd.DataFrame(src).set_index("source")
    seconds = compute_table(df, paths)
    versions = pd.DataFrame([meta.versions()], index=["version"])
    used = (f"<p class='sub'>{len(df)} records used; {excluded} robustness/fairness records "
            f"(corruption or group rows) {where}.</p>")
    html = ["<h3>Sources</h3>", frame_table(sources), used, "<h3>Compute time per backbone</h3>",
            frame_table(seconds), "<h3>Versions (report)</h3>", frame_table(versions)]
    md = ["## Run metadata", "", f"- records used: {len(df)} (robustness/fairness rows {where}: {excluded})"]
    md += [f"- source `{r['source']}`: sweep {r['sweep']}, cells {r['cells']}, wall time "
           f"{r['wall time (s)']} s" for r in src]
    md += [f"- compute seconds, {b}: {r['total']} (bench {r['bench']}, pre-training {r['pre-training']})"
           for b, r in seconds.iterrows()]
    md.append("- versions: " + ", ".join(f"{k} {v}" for k, v in meta.versions().items()))
    skipped = pd.concat([meta.skipped_samples(p) for p in paths if p.is_dir()] or [pd.DataFrame()],
                        ignore_index=True)
    html.append("<h3>Skipped samples</h3>")
    if len(skipped):
        html += [f"<p>{len(skipped)} samples were skipped as unreadable:</p>", frame_table(skipped)]
    else:
        html.append("<p class='sub'>none (no skipped.csv in the sources)</p>")
    md.append(f"- skipped samples: {len(skipped)}")
    html.append("<h3>Configs</h3>")
    configs = [c for p in paths if p.is_dir() for c in meta.find_configs(p)]
    for path, text in configs:
        html.append(f"<details><summary>{escape(str(path))}</summary><pre>{escape(text)}</pre></details>")
    if not configs:
        html.append("<p class='sub'>no config files found next to the records</p>")
    return "".join(html), md


def build_report(paths: Sequence[str | Path], cfg: ReportConfig) -> tuple[str, str]:
    """(HTML page, Markdown text) of the records under ``paths``."""
    roots = [Path(p) for p in paths]
    everything = tables.label_variants(load_results(roots))
    df = tables.main_records(everything)
    if df.empty:
        raise DataError("no records to report (only robustness/fairness rows, or empty files)", str(paths[0]))
    agg = tables.aggregate(tables.select_primary(df))
    backbones = sorted(agg["backbone"].unique())
    ci_note = tables.ci_note(agg)
    table_list, md = [], [f"# {cfg.title}", ""]
    for mode, x_kind, x in tables.table_settings(agg):
        long = tables.score_table(agg, mode, x_kind, x)
        cells, best, heads = tables.wide_table(long)
        dim = tables.flags(long, "below_trivial", cells)
        cells.index.name = "backbone"
        caption = f"mode {mode}, {x_kind} {x:g}"
        table_list.append({"caption": caption, "cells": cells, "best": best, "heads": heads, "dim": dim})
        md += [f"### {caption}", "", tables.markdown_table(cells, best, heads, dim=dim), ""]
    legend = (f"Mean ± 95 % CI over seeds ({ci_note}); **bold** = best backbone; {tables.DIM_MARK} = not "
              "better than the trivial baseline.")
    md += [legend, ""]
    scores = tables.normalised_scores(agg)
    summary_uri = None
    if len(backbones) > 1 and not scores.empty:
        summary_uri = plots.to_data_uri(plots.summary_figure(scores), cfg.figure_format, cfg.dpi)
        s_cells = scores.map(tables.number)
        md[2:2] = ["## Summary (normalised score, 1 = best)", "",
                   tables.markdown_table(s_cells,
                                         pd.DataFrame(False, index=s_cells.index, columns=s_cells.columns),
                                         list(s_cells.columns)), "", "## Task × backbone", ""]
    figures = []
    for task in sorted(agg["task"].unique()):
        fig = plots.fewshot_figure(agg, task, backbones, cfg.log_x)
        rows = agg[agg["task"] == task]
        n = int(rows["n_seeds"].min())
        caption = f"{task}: {rows['metric'].iloc[0]}, mean ± 95 % CI over seeds (n = {n})"
        figures.append((str(task), caption, plots.to_data_uri(fig, cfg.figure_format, cfg.dpi)))
    extra_html, extra_md = sections.build_sections(everything, roots, cfg)
    meta_html, meta_md = _meta_html(roots, df, len(everything) - len(tables.clean_rows(everything)),
                                    bool(extra_html))
    real = [b for b in backbones if b != tables.TRIVIAL_LABEL]
    baseline = " (and each task's trivial baseline)" if len(real) < len(backbones) else ""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    plural = "s" if len(real) != 1 else ""
    subtitle = (f"{len(real)} backbone{plural}{baseline} × {agg['task'].nunique()} tasks, "
                f"from {', '.join(map(str, paths))}; generated {when}")
    page = render_page(cfg.title, subtitle, summary_uri, scores if summary_uri else None, table_list, figures,
                       meta_html, extra_html, ci_note)
    return page, "\n".join([*md, "", *extra_md, *meta_md]) + "\n"


def make_report(paths: Sequence[str | Path], out: str | Path = "report.html",
                cfg: ReportConfig | None = None) -> Path:
    """Write ``out`` (HTML) and, unless ``cfg.markdown`` is off, ``report.md`` (same stem) beside it. Returns
    ``out``."""
    cfg = cfg or ReportConfig()
    page, md = build_report(paths, cfg)
    out = Path(out)
    atomic_write_text(out, page)
    if cfg.markdown:
        atomic_write_text(out.with_suffix(".md"), md)
    return out
