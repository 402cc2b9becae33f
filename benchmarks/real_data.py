"""Rerun the table of docs/real-data.md: every task on public real face sets, each backbone beside the trivial
baseline, with the same protocol.

The sets are not in this repository (most forbid redistribution): ``benchmarks/real_data.yaml`` names each
set's layout under a root folder (``{root}`` in its spec) and where it comes from; lay them out as
docs/real-data.md says, then::

    python benchmarks/real_data.py --root /data/real                     # every set, every backbone
    python benchmarks/real_data.py --root /data/real --only ck48-expression --backbones timm:resnet18

Each (set, backbone) is one ``facerep.evaluate`` run, written to ``OUT/<set>/<backbone>/`` (records, splits,
config; a finished run is read back, not rerun). The table (markdown, primary metric mean ± std over seeds per
label fraction, the trivial baseline in its own row) is printed and written to ``OUT/table.md``.
"""
from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import facerep
from facerep.bench.api import clean_rows
from facerep.bench.tasks import get_task
from facerep.errors import FacerepError

HERE = Path(__file__).resolve().parent


def load_sets(path: Path, root: str, only: list[str]) -> list[dict[str, Any]]:
    """The entries of the sets file with ``{root}`` filled in; ``only``: names to keep (all when empty)."""
    entries = yaml.safe_load(path.read_text())["sets"]
    unknown = sorted(set(only) - {e["name"] for e in entries})
    if unknown:
        raise SystemExit(f"--only: no set named {', '.join(unknown)} in {path}")
    out = []
    for e in entries:
        if only and e["name"] not in only:
            continue
        out.append(dict(e, spec=e["spec"].replace("{root}", root),
                        train_spec=e.get("train_spec", "").replace("{root}", root)))
    return out


def run_one(entry: dict[str, Any], backbone: str, out: Path, cache: str) -> pd.DataFrame:
    """Records of one (set, backbone); a folder with records.csv is read back instead of rerun."""
    folder = out / entry["name"] / re.sub(r"[^A-Za-z0-9_.-]+", "_", backbone)
    if (folder / "records.csv").is_file():
        return pd.read_csv(folder / "records.csv")
    protocol = dict(fractions=entry.get("fractions", [0.1, 1.0]), seeds=entry.get("seeds", [0, 1]),
                    image_size=entry.get("image_size", 112), **entry.get("options", {}))
    if cache:
        protocol["cache_dir"] = cache
    if entry.get("train_spec"):
        protocol["train_data"] = {entry["task"]: entry["train_spec"]}
    t0 = time.time()
    df = facerep.evaluate(backbone=backbone, tasks=entry["task"], data={entry["task"]: entry["spec"]},
                          protocol=protocol, out=folder)
    print(f"{entry['name']} / {backbone}: {time.time() - t0:.0f} s", flush=True)
    return df


def table(frames: list[tuple[dict[str, Any], str, pd.DataFrame]]) -> str:
    """Markdown: one row per (set, backbone) and one per set's trivial baseline; columns the label
    fractions."""
    lines = []
    fractions = sorted({float(f) for _, _, df in frames for f in df["fraction"].dropna()})
    head = ["set", "task", "metric", "backbone", *(f"{f:g}" for f in fractions)]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    seen_trivial = set()
    for entry, backbone, df in frames:
        metric, direction = get_task(entry["task"]).primary
        df = clean_rows(df)
        df = df[(df["metric"] == metric) & (df["task"] == entry["task"])]
        for mode in [m for m in dict.fromkeys(df["mode"]) if m != "trivial"] + ["trivial"]:
            if mode == "trivial" and entry["name"] in seen_trivial:
                continue
            rows = df[df["mode"] == mode]
            if not len(rows):
                continue
            seen_trivial.add(entry["name"]) if mode == "trivial" else None
            cells = []
            for f in fractions:
                v = rows[rows["fraction"] == f]["value"]
                cells.append(f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.3f}"
                             if len(v) else "-")
            who = ("trivial baseline" if mode == "trivial"
                   else backbone + ("" if mode == "linear" else f" ({mode})"))
            arrow = "↓" if direction == "min" else "↑"
            lines.append(f"| {entry['name']} | {entry['task']} | {metric} {arrow} | {who} | "
                         + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True,
                        help="folder holding the real sets in the layouts of the sets file")
    parser.add_argument("--sets", default=str(HERE / "real_data.yaml"), help="the sets file")
    parser.add_argument("--out", default="runs/real-data", help="output folder (runs are resumed)")
    parser.add_argument("--only", default="", help="comma list of set names")
    parser.add_argument("--backbones", default="", help="comma list; default: each set's own list")
    parser.add_argument("--cache", default="", help="feature cache folder (default: facerep's)")
    args = parser.parse_args()
    sets = load_sets(Path(args.sets), args.root, [s for s in args.only.split(",") if s])
    out = Path(args.out)
    frames, failed = [], []
    for entry in sets:
        for backbone in [b for b in args.backbones.split(",") if b] or entry["backbones"]:
            try:
                frames.append((entry, backbone, run_one(entry, backbone, out, args.cache)))
            except FacerepError as e:  # e.g. a network that cannot take the set's image size: go on, say so
                failed.append(f"not run: {entry['name']} / {backbone}: {e}")
                print(failed[-1], flush=True)
    text = "\n".join([table(frames), *(["", *failed] if failed else [])])
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
