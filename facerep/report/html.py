"""The report page: one self-contained HTML file (inline CSS, figures as data URIs, no script, no
network). Few-shot figures are ``<figure class="fewshot" data-task=TASK>``; score tables are
``<table class="scores">``. The robustness and subgroup sections (``extra``) come from sections.py."""
from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from .tables import number

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;\
padding:1em 2em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.sub{color:#666} .grid{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:6px;background:#fff}
figure img{display:block;max-width:100%} figcaption{font-size:12px;color:#555;text-align:center}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right} th{background:#f6f6f6} \
td:first-child,th:first-child{text-align:left}
td{white-space:nowrap} .scroll{overflow-x:auto;max-width:100%}
td.best{font-weight:bold;background:#e7f5e7} td.best::after{content:" \\2605";color:#2a7a2a}
td.dim{color:#999;font-style:italic} td.dim::after{content:" \\2020";color:#999}
td.best.dim::after{content:" \\2605 \\2020";color:#999}
.warn{color:#8a5a00;background:#fff6e0;border-left:3px solid #e0a800;padding:2px 8px;margin:.2em 0}
pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:320px;font-size:12px} details{margin:.3em 0}
"""


def _table(cells: pd.DataFrame, best: pd.DataFrame | None, heads: list[str], cls: str, caption: str = "",
           dim: pd.DataFrame | None = None) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in [cells.index.name or "", *heads])
    body = []
    for name, row in cells.iterrows():
        tds = []
        for col, v in row.items():
            marks = [c for c, frame in (("best", best), ("dim", dim))
                     if frame is not None and bool(frame.loc[name, col])]
            attr = f' class="{" ".join(marks)}"' if marks else ""
            tds.append(f"<td{attr}>{escape(str(v))}</td>")
        body.append(f"<tr><td>{escape(str(name))}</td>{''.join(tds)}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<div class="scroll"><table class="{cls}">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def cells_table(cells: pd.DataFrame, best: pd.DataFrame | None, heads: list[str], cls: str,
                caption: str = "") -> str:
    """A table of text ``cells`` (index = first column) with ``best`` cells marked and a caption."""
    return _table(cells, best, heads, cls, caption)


def frame_table(df: pd.DataFrame, cls: str = "meta", max_rows: int = 50) -> str:
    """A plain table of ``df`` (first ``max_rows`` rows)."""
    shown = df.head(max_rows).astype(str)
    shown.index = pd.Index([str(i) for i in shown.index], name=df.index.name or "")
    more = f"<p class='sub'>… {len(df) - max_rows} more rows</p>" if len(df) > max_rows else ""
    return _table(shown, None, list(shown.columns), cls) + more


def render_page(title: str, subtitle: str, summary_uri: str | None, summary: pd.DataFrame | None,
                tables: list[dict[str, Any]], figures: list[tuple[str, str, str]], meta_html: str,
                extra: str = "", ci_note: str = "") -> str:
    """The page. ``tables``: dicts (caption, cells, best, heads, dim); ``figures``: (task, caption, data URI);
    ``extra``: HTML of further sections, placed before the run metadata; ``ci_note``: how wide the CIs are."""
    parts = [f"<h1>{escape(title)}</h1><p class='sub'>{escape(subtitle)}</p>"]
    if summary_uri is not None and summary is not None:
        parts.append("<h2>Summary across tasks</h2>")
        parts.append(f'<figure class="summary"><img alt="summary across tasks" src="{summary_uri}"></figure>')
        cells = summary.map(lambda v: number(v) if pd.notna(v) else "–")
        cells.index.name = "backbone"
        parts.append(_table(cells, None, list(cells.columns), "summary", "normalised score per task "
                            "(1 = best backbone), mean over modes and label budgets"))
    parts.append("<h2>Task × backbone</h2><p class='sub'>Primary metric per task, mean ± 95 % CI half width "
                 f"over seeds ({escape(ci_note)}); ★ best backbone per column (never the trivial baseline); "
                 "grey † = not better than the task's trivial baseline (mean shape, majority class …) at the "
                 "precision shown: that head learnt nothing the baseline does not know.</p>")
    for i, t in enumerate(tables):
        block = _table(t["cells"], t["best"], t["heads"], "scores", t["caption"], t.get("dim"))
        parts.append(block if i == 0
                     else f"<details><summary>{escape(t['caption'])}</summary>{block}</details>")
    parts.append("<h2>Few-shot curves</h2><div class='grid'>")
    for task, caption, uri in figures:
        parts.append(f'<figure class="fewshot" data-task="{escape(task)}"><img alt="few-shot curve: '
                     f'{escape(task)}" src="{uri}"><figcaption>{escape(caption)}</figcaption></figure>')
    parts.append("</div>" + extra + "<h2>Run metadata</h2>" + meta_html)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<link rel='icon' href='data:,'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(parts)}</body></html>")
