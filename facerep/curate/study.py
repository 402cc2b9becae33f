"""The paper's redundancy experiment as one call: ``redundancy_study(cfg, out) -> DataFrame``.

1. redundancy of the video frames (:func:`facerep.curate.dedup.run_redundancy`): near-duplicate groups,
   the effective-size curve vs frame stride, and the deduplicated manifest (one face per group);
2. the same pre-training (method, backbone, steps, batch, seed) on all frames and on the deduplicated frames;
3. the bench of both pre-trained backbones and of random init, same protocol, on still images of other
   identities.

Steps 2 and 3 run as a sweep (:func:`facerep.sweep.api.run_sweep`, the machinery of ``facerep demo``): every
pre-training and bench cell writes a ``done`` marker, so a rerun under the same ``out`` recomputes nothing
that is finished. Step 1 writes ``stage.json`` last and is skipped when it exists for the same settings.

Outputs under ``out``: ``redundancy/<settings hash>/`` (redundancy.json, effective_size.csv, groups.parquet,
dedup/manifest.parquet, stage.json); the sweep (``study_spec.yaml``, ``cells/``, ``records.csv``, which
``facerep report OUT`` reads); ``study.csv`` (:data:`STUDY_COLUMNS`); ``study.json`` (redundancy summary,
pre-training sizes, wall time of the last call); ``study_config.yaml``. Other redundancy settings get another
folder, hence another dedup manifest and pre-training cell; the all-frames run and the random-init bench are
shared.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from rich.table import Table

from ..config import RedundancyStudyConfig, SweepConfig, config_to_dict, save_config
from ..data.formats import load_dataset
from ..errors import ConfigError
from ..io import atomic_write, atomic_write_text
from ..report import tables
from ..report.tables import TRIVIAL_LABEL
from ..sweep.api import run_sweep
from ..sweep.cells import DONE, cell_dir
from ..sweep.kinds.pretrain import BACKBONE_DIR
from ..sweep.spec import load_spec
from .dedup import run_redundancy

ALL, DEDUP, RANDOM = "all frames", "dedup", "random init"
RANDOM_PREFIX = "random:"
STUDY_COLUMNS = [
    "backbone",
    "task",
    "metric",
    "direction",
    "mode",
    "fraction",
    "mean",
    "std",
    "n_seeds",
    "pretrain_images",
    "steps",
    "pretrain_seconds",
    "bench_seconds",
]


def redundancy_stage(cfg: RedundancyStudyConfig, root: Path) -> dict[str, Any]:
    """Redundancy of ``cfg.video_data`` in ``root/<hash of the settings>/`` (reused when its ``stage.json``
    exists: other settings get another folder, hence another dedup manifest and pre-training cell). Returns
    faces, groups, redundancy ratio, kept faces, the effective-size curve, the dedup manifest and seconds."""
    settings = {"data": cfg.video_data, "redundancy": config_to_dict(cfg.redundancy)}
    out = root / hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    marker = out / "stage.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    t0 = time.time()
    manifest = out / "dedup" / "manifest.parquet"
    rep = run_redundancy(cfg.video_data, cfg.redundancy, dedup=str(manifest), out=str(out))
    done = {
        "settings": settings,
        "faces": rep["faces"],
        "groups": rep["groups"],
        "redundancy": rep["redundancy"],
        "kept": rep["dedup"]["kept"],
        "effective_size": rep.get("effective_size", []),
        "manifest": str(manifest.resolve()),
        "seconds": round(time.time() - t0, 3),
    }
    atomic_write_text(marker, json.dumps(done, indent=2))
    return done


def study_spec(cfg: RedundancyStudyConfig, dedup_manifest: str) -> dict[str, Any]:
    """The sweep spec: two pre-training runs (all frames, dedup) and the bench of them and of random init."""
    options = {
        **cfg.pretrain_options,
        "steps": cfg.steps,
        "batch_size": cfg.batch_size,
        "image_size": cfg.image_size,
    }
    common = {"method": cfg.method, "seed": cfg.seed, "backbone": cfg.backbone, "options": options}
    return {
        "name": "facerep redundancy study",
        "pretrain": [
            {**common, "data": cfg.video_data, "label": ALL},
            {**common, "data": f"manifest:{dedup_manifest}", "label": DEDUP},
        ],
        "evaluate": {
            "tasks": list(cfg.tasks),
            "modes": [cfg.mode],
            "fractions": list(cfg.fractions),
            "seeds": list(cfg.seeds),
            "baselines": [RANDOM_PREFIX + cfg.backbone],
            "options": {"synth": cfg.bench_data, "image_size": cfg.image_size, **cfg.bench_options},
        },
    }


def _cell_facts(
    out: Path, spec: Any, rename: dict[str, str]
) -> tuple[dict[str, dict[str, float]], dict[tuple[str, str], float]]:
    """From the finished cells: {pretrain label: images, steps (as trained: backbone.json) and wall seconds},
    {(backbone label, task): bench wall seconds summed over seeds} (seconds from the ``done`` markers)."""
    pre: dict[str, dict[str, float]] = {}
    bench: dict[tuple[str, str], float] = {}
    for c in spec.cells:
        d = cell_dir(out, c.id)
        seconds = (
            float(json.loads((d / DONE).read_text())["seconds"]) if (d / DONE).is_file() else float("nan")
        )
        if c.kind == "pretrain":
            meta = json.loads((d / BACKBONE_DIR / "backbone.json").read_text())
            n = c.config.get("max_samples") or 0
            size = len(load_dataset(meta["data"]))
            pre[c.label] = {
                "images": min(size, n) if n > 0 else size,
                "steps": meta["steps"],
                "seconds": seconds,
            }
        else:
            key = (rename.get(c.config["label"], c.config["label"]), c.config["task"])
            bench[key] = bench.get(key, 0.0) + seconds
    return pre, bench


def study_frame(
    records: pd.DataFrame, pre: dict[str, dict[str, float]], bench_seconds: dict[tuple[str, str], float]
) -> pd.DataFrame:
    """One row per backbone x task x fraction: the primary metric's mean and std over seeds, with the number
    of pre-training images, steps and wall seconds of each backbone (``pre``, by label; others get 0)."""
    agg = tables.aggregate(tables.select_primary(tables.main_records(records)))
    rows = []
    for r in agg.itertuples(index=False):
        name = str(r.backbone)
        rows.append(
            {
                "backbone": name,
                "task": r.task,
                "metric": r.metric,
                "direction": r.direction,
                "mode": r.mode,
                "fraction": float(r.x),
                "mean": r.mean,
                "std": r.std,
                "n_seeds": r.n_seeds,
                "pretrain_images": int(pre.get(name, {}).get("images", 0)),
                "steps": int(pre.get(name, {}).get("steps", 0)),
                "pretrain_seconds": pre.get(name, {}).get("seconds", 0.0),
                "bench_seconds": bench_seconds.get((name, str(r.task)), float("nan")),
            }
        )
    order = {ALL: 0, DEDUP: 1, RANDOM: 2}
    df = pd.DataFrame(rows, columns=STUDY_COLUMNS)
    df = df.assign(_o=df["backbone"].map(order).fillna(3)).sort_values(
        ["task", "fraction", "_o"], kind="stable"
    )
    return df.drop(columns="_o").reset_index(drop=True)


def redundancy_study(cfg: RedundancyStudyConfig, out: Path) -> pd.DataFrame:
    """Run (or resume) the study under ``out``; writes and returns ``study.csv`` (:data:`STUDY_COLUMNS`)."""
    t0 = time.time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out / "study_config.yaml")
    red = redundancy_stage(cfg, out / "redundancy")
    if red["kept"] >= red["faces"]:
        raise ConfigError(
            f"no near-duplicates in {cfg.video_data} at cosine >= {cfg.redundancy.threshold}: the "
            "dedup set is all frames; lower redundancy.threshold"
        )
    spec_path = out / "study_spec.yaml"
    atomic_write_text(spec_path, yaml.safe_dump(study_spec(cfg, red["manifest"]), sort_keys=False))
    spec = load_spec(spec_path)
    records = run_sweep(spec, out, SweepConfig(executor=cfg.executor, workers=cfg.workers, keep_going=False))
    rename = {RANDOM_PREFIX + cfg.backbone: RANDOM}
    pre, bench_seconds = _cell_facts(out, spec, rename)
    records = records.replace({"backbone": rename})
    df = study_frame(records, pre, bench_seconds)
    atomic_write(out / "study.csv", lambda tmp: df.to_csv(tmp, index=False, float_format="%.10g"))
    summary = {
        "video_data": cfg.video_data,
        "faces": red["faces"],
        "groups": red["groups"],
        "redundancy": red["redundancy"],
        "kept": red["kept"],
        "effective_size": red["effective_size"],
        "pretrain": pre,
        "wall_seconds_this_run": round(time.time() - t0, 3),
    }
    atomic_write_text(out / "study.json", json.dumps(summary, indent=2))
    return df


def study_table(df: pd.DataFrame) -> Table:
    """task x fraction rows, one column per backbone: primary metric mean ± std over seeds (best in bold)."""
    backbones = list(dict.fromkeys(df["backbone"]))
    table = Table(title="redundancy study: primary metric, mean ± std over seeds")
    for col in ["task", "metric", "fraction", *backbones]:
        table.add_column(col, justify="right" if col in backbones else "left", overflow="fold")
    for (task, fraction), g in df.groupby(["task", "fraction"], sort=False):
        direction = str(g["direction"].iloc[0])
        vals = dict(zip(g["backbone"], zip(g["mean"], g["std"])))
        learned = [vals[b][0] for b in backbones if b in vals and b != TRIVIAL_LABEL]
        best = (max if direction == "max" else min)(learned) if learned else None
        cells = []
        for b in backbones:
            if b not in vals:
                cells.append("-")
                continue
            m, s = vals[b]
            text = f"{m:.4f} ± {0.0 if pd.isna(s) else s:.4f}"
            cells.append(f"[bold]{text}[/]" if m == best and b != TRIVIAL_LABEL else text)
        arrow = "↑" if direction == "max" else "↓"
        table.add_row(str(task), f"{g['metric'].iloc[0]} {arrow}", f"{fraction:g}", *cells)
    return table
