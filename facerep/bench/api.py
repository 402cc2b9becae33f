"""Python entry point of the benchmark: ``facerep.evaluate(backbone=..., tasks=..., data=..., protocol=...)``.

Outputs in ``out``: ``records.csv`` / ``records.parquet`` (one row per run, task, dataset, mode, fraction,
shots, seed and metric; per-seed values), ``summary.csv`` (mean, std and Student-t 95 % CI over seeds of every
metric), ``config.yaml`` (the resolved BenchConfig), ``splits.csv`` (per task: how train/test were split, the
groups on each side and the near-duplicate pairs that cross them, :func:`facerep.bench.sources.split_report`),
with ``skip_bad`` ``skipped.csv``, and with ``corruptions``
``robustness.csv`` (:func:`facerep.bench.robustness.degradation`; CE / mCE when ``reference_backbone`` is set,
whose rows the records then also hold, under its own ``backbone`` name). Records are deterministic: the
same command gives the same rows and values; only the ``seconds`` column (wall time) varies between runs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from ..config import BenchConfig, config_to_dict, resolve_config, save_config
from ..curate.five_points import resolve_landmarker
from ..errors import ConfigError
from ..io import atomic_write
from ..records import to_frame, write_records
from .corruptions import parse_corruptions
from .features import load_backbone
from .groups import parse_skew
from .metrics import mean_ci95
from .modes import TRIVIAL, get_mode, list_modes, mode_options
from .modes._base import Mode
from .protocol import BenchResult, Run, task_names
from .protocol import run as run_protocol
from .robustness import degradation, parse_pairs
from .settings import (
    FeatureSettings,
    ProtocolSettings,
    RobustnessSettings,
    SourceSettings,
    check_fractions,
    settings_from,
)
from .sources import resolve_data
from .tasks import get_task
from .tasks._base import TaskSettings

KEYS = ["task", "dataset", "mode", "fraction", "shots", "metric"]
ALIGN = ("auto", "off")  # tasks' own crops (Task.crop) | box crops for every task


def make_config(protocol: BenchConfig | Mapping[str, Any] | None = None, **values: Any) -> BenchConfig:
    """A BenchConfig from ``protocol`` (a BenchConfig or a mapping of its fields) with ``values`` on top."""
    base = config_to_dict(protocol) if isinstance(protocol, BenchConfig) else dict(protocol or {})
    base.update({k: v for k, v in values.items() if v is not None})
    unknown = sorted(set(base) - set(config_to_dict(BenchConfig())))
    if unknown:
        raise ConfigError(f"unknown bench option(s) {', '.join(unknown)}")
    return resolve_config(BenchConfig, **base)


def run_id(cfg: BenchConfig, data: Any = None) -> str:
    """Deterministic id of a run: a hash of its resolved config (output and cache folders left out)."""
    d = {k: v for k, v in config_to_dict(cfg).items() if k not in ("out", "cache_dir")}
    if data is not None:
        d["data_objects"] = repr(sorted(data)) if isinstance(data, Mapping) else type(data).__name__
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:12]


def evaluate(*, backbone: Any = "timm:resnet18", tasks: str | Sequence[str] = "all", data: Any = None,
             protocol: BenchConfig | Mapping[str, Any] | None = None, out: str | Path | None = None,
             **options: Any) -> pd.DataFrame:
    """Benchmark ``backbone`` (a spec string, a facerep output dir, or a Backbone module) on ``tasks``.

    data: None (every task on ``synth:``), one source for every task, or {task: source}; a source is a
    ``FORMAT:PATH`` string, a FaceDataset, or a (train, test) pair of FaceDatasets. protocol: a BenchConfig or
    a mapping of its fields (fractions, seeds, shots, mode, image_size …); ``options`` override single fields.
    Writes the outputs to ``out`` when given. Returns the records (columns of facerep.report.records)."""
    module = None if isinstance(backbone, (str, Path)) else backbone
    names = [tasks] if isinstance(tasks, str) else list(tasks)
    names = [n.strip() for t in names for n in t.split(",") if n.strip()]
    cfg = make_config(protocol, tasks=names, **options,
                      **({"backbone": str(backbone)} if module is None else {}),
                      **({"out": str(out)} if out is not None else {}))
    df, _ = bench(cfg, data=data if not isinstance(data, str) else {"*": data}, backbone=module,
                  write=out is not None)
    return df


def bench(cfg: BenchConfig, data: Any = None, backbone: Any = None,
          write: bool = True) -> tuple[pd.DataFrame, BenchResult]:
    """Run and (when ``write``) write records, summary, config and skipped samples into ``cfg.out``.

    With ``cfg.reference_backbone`` (a backbone spec other than the benchmarked one) the reference is run in
    the same call with the same protocol, data, corruptions and seeds (a separate feature cache entry; reruns
    read it), its rows are added to the records under its own ``backbone`` name, and ``robustness.csv`` gets
    each backbone's corruption error relative to it (:func:`facerep.bench.robustness.degradation`)."""
    result = run(cfg, data=data, backbone=backbone)
    bb_name = cfg.backbone if backbone is None else str(getattr(backbone, "arch", type(backbone).__name__))
    if cfg.reference_backbone and cfg.reference_backbone != bb_name:
        ref = run(dataclasses.replace(cfg, backbone=cfg.reference_backbone), data=data)
        result.rows += ref.rows
        result.forwarded += ref.forwarded
        result.notes += [f"reference {cfg.reference_backbone}: {n}" for n in ref.notes
                         if n not in result.notes]
    rid = run_id(cfg, data)
    df = to_frame([{"run_id": rid, **r} for r in result.rows])
    if write:
        write_outputs(df, result, cfg)
    return df, result


def run(cfg: BenchConfig, data: Any = None, backbone: Any = None) -> BenchResult:
    """One backbone's benchmark: ``cfg`` checked and unpacked into the typed settings of each part
    (:mod:`facerep.bench.settings`, the mode's options), then :func:`facerep.bench.protocol.run`. ``data``:
    see :func:`facerep.bench.sources.resolve_data`; ``backbone``: a Backbone module instead of
    ``cfg.backbone``."""
    mode = validate(cfg)
    names = task_names(list(cfg.tasks))
    plan = resolve_data(names, data if data is not None else (dict(cfg.data) or None), cfg.synth,
                        dict(cfg.train_data))
    model = load_backbone(backbone if backbone is not None else cfg.backbone, pretrained=cfg.pretrained,
                          image_size=cfg.image_size, seed=cfg.backbone_seed,
                          trust_checkpoint=cfg.trust_checkpoint)
    bb_name = cfg.backbone if backbone is None else str(getattr(model, "arch", type(model).__name__))
    margin = cfg.margin if cfg.margin >= 0 else float(model.pretrained_cfg.margin)
    setup = Run(model=model, backbone_name=bb_name, mode=mode, protocol=settings_from(cfg, ProtocolSettings),
                sources=settings_from(cfg, SourceSettings), features=settings_from(cfg, FeatureSettings),
                robustness=robustness_settings(cfg))
    task_settings = settings_from(cfg, TaskSettings)
    tasks = {name: get_task(name)(task_settings) for name in names}
    return run_protocol(tasks=tasks, plan=plan, setup=setup, margin=margin)


def validate(cfg: BenchConfig) -> Mode:
    """Check every option before any work starts; returns the mode, built from its options."""
    mode_cls = get_mode(cfg.mode)  # an unknown mode lists the registered ones
    mode: Mode = mode_cls(settings_from(cfg, mode_options(cfg.mode)))
    check_fractions(cfg.fractions)
    for k in cfg.shots:
        if int(k) < 1:
            raise ConfigError(f"shots {k} must be a positive integer")
    if not cfg.fractions and not cfg.shots:
        raise ConfigError("nothing to run: give --fractions and/or --shots")
    if not cfg.seeds:
        raise ConfigError("no seed given (--seeds 0,1,2)")
    if cfg.align not in ALIGN:
        raise ConfigError(f"align {cfg.align!r} is not one of {', '.join(ALIGN)}")
    resolve_landmarker(cfg.landmarker)  # an unknown or unavailable landmarker fails before any work
    if not cfg.native_strides or cfg.pixels_per_class < 1:
        raise ConfigError("the per-pixel probe needs at least one native stride and pixels_per_class >= 1")
    if cfg.align_margin < 0 or cfg.aligned_grid < 1 or not cfg.aligned_strides:
        raise ConfigError("aligned crops need align_margin >= 0, aligned_grid >= 1 and at least one aligned "
                          "stride")
    robustness = robustness_settings(cfg)  # unknown corruptions or severities fail before any work
    if robustness.corrupted and mode.reads != "features":
        on_features = [m for m in list_modes() if get_mode(m).reads == "features"]
        raise ConfigError("--corruptions and --train-corruptions evaluate heads on cached features: use "
                          f"--mode {' or '.join(on_features)}")
    if cfg.train_skew:
        parse_skew(cfg.train_skew)
    if cfg.reference_backbone and not cfg.corruptions:
        raise ConfigError("--reference-backbone normalises the corruption error: give --corruptions too")
    return mode


def robustness_settings(cfg: BenchConfig) -> RobustnessSettings:
    """The robustness and subgroup settings, corruption specs parsed (errors name the option)."""
    return RobustnessSettings(
        test_pairs=tuple(parse_corruptions(list(cfg.corruptions))),
        train_pairs=tuple(parse_pairs(list(cfg.train_corruptions), option="--train-corruptions")),
        train_label=" ".join(cfg.train_corruptions) or "clean", split_seed=cfg.split_seed,
        groups=tuple(cfg.groups), group_bootstrap=cfg.group_bootstrap, train_skew=cfg.train_skew)


AXES = ("corruption", "severity", "group", "train_corruptions", "train_skew")  # robustness / subgroup columns


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Mean, std (ddof=1) and 95 % CI half width over seeds of every metric (metrics.mean_ci95)."""
    keys = ["backbone", *KEYS] + [c for c in AXES if c in df.columns]
    rows = []
    for key, g in df.groupby(keys, dropna=False, sort=False):
        values = g["value"].to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        mean, std, half = mean_ci95(values) if values.size else (float("nan"),) * 3
        rows.append(dict(zip(keys, key), mean=mean, std=std, ci95=half, n_seeds=int(values.size)))
    return pd.DataFrame(rows, columns=[*keys, "mean", "std", "ci95", "n_seeds"])


def clean_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The records of the clean test set over all samples (no corruption, no subgroup breakdown)."""
    keep = np.ones(len(df), dtype=bool)
    if "corruption" in df.columns:
        keep &= df["corruption"].isna().to_numpy() | (df["corruption"] == "clean").to_numpy()
    if "group" in df.columns:
        keep &= df["group"].isna().to_numpy() | (df["group"] == "").to_numpy()
    return df[keep]


def write_outputs(df: pd.DataFrame, result: BenchResult, cfg: BenchConfig) -> Path:
    out = Path(cfg.out)
    write_records(df, out)
    summary = summarize(df)
    atomic_write(out / "summary.csv", lambda tmp: summary.to_csv(tmp, index=False, float_format="%.10g"))
    save_config(cfg, out / "config.yaml")
    if cfg.corruptions:
        deg = degradation(df, {t: get_task(t).primary for t in df["task"].unique()}, cfg.reference_backbone)
        atomic_write(out / "robustness.csv", lambda tmp: deg.to_csv(tmp, index=False, float_format="%.10g"))
    splits = pd.DataFrame(result.splits)
    atomic_write(out / "splits.csv", lambda tmp: splits.to_csv(tmp, index=False))
    if cfg.skip_bad:
        skipped = pd.DataFrame(result.skipped, columns=["dataset", "index", "message"])
        atomic_write(out / "skipped.csv", lambda tmp: skipped.to_csv(tmp, index=False))
    return out


def _label(fraction: float, shots: int) -> str:
    return f"{int(shots)}-shot" if shots else f"{fraction:g}"


def summary_table(df: pd.DataFrame, skipped: int = 0) -> Table:
    """task × fraction table of the primary metric, mean ± std over seeds; the trivial baseline below each
    task. Only the benchmarked backbone (the first in the records; a reference backbone's rows follow it)."""
    df = clean_rows(df)
    df = df[df["backbone"] == df["backbone"].iloc[0]] if len(df) else df
    configs = list(dict.fromkeys(_label(f, s) for f, s in zip(df["fraction"], df["shots"])))
    table = Table(title="facerep bench: primary metric, mean ± std over seeds"
                        + (f" ({skipped} bad samples skipped)" if skipped else ""))
    for col in ["task", "metric", "mode", *configs]:
        table.add_column(col, justify="right" if col in configs else "left")
    df = df.assign(config=[_label(f, s) for f, s in zip(df["fraction"], df["shots"])])
    flagged = False
    for task in dict.fromkeys(df["task"]):
        metric, direction = get_task(task).primary
        sub = df[(df["task"] == task) & (df["metric"] == metric)]
        means = {(m, c): _finite(sub[(sub["mode"] == m) & (sub["config"] == c)]["value"])
                 for m in dict.fromkeys(sub["mode"]) for c in configs}
        for mode in dict.fromkeys(sub["mode"]):
            baseline = mode == TRIVIAL  # the records' pseudo-mode of the trivial baseline
            cells = []
            for c in configs:
                v, trivial = means[mode, c], means.get((TRIVIAL, c), np.empty(0))
                below = (not baseline and v.size and trivial.size
                         and _worse(v.mean(), trivial.mean(), direction))
                flagged |= bool(below)
                spread = v.std(ddof=1) if v.size > 1 else 0.0
                cells.append((f"{v.mean():.4f} ± {spread:.4f}" if v.size else "-")
                             + (" ▼" if below else ""))
            arrow = "↓" if direction == "min" else "↑"
            table.add_row(task, f"{metric} {arrow}", mode, *cells, style="dim" if baseline else None)
    if flagged:
        table.caption = "▼ below the task's trivial baseline: the head learnt nothing usable there"
    return table


def _finite(values: pd.Series) -> np.ndarray:
    v = values.to_numpy(dtype=np.float64)
    return v[np.isfinite(v)]


def _worse(value: float, baseline: float, direction: str) -> bool:
    """``value`` is worse than ``baseline`` beyond float noise, for a metric to minimise or maximise."""
    tol = 1e-9 * max(1.0, abs(baseline))
    return value > baseline + tol if direction == "min" else value < baseline - tol

