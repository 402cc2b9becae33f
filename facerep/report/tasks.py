"""Which metric a report shows per task, and in which direction is better.

Read from the bench task registry (each task's ``primary = (metric, "max"|"min")``) when it is there;
else from :data:`FALLBACK_PRIMARY`, so that reports of records from elsewhere still render.
"""
from __future__ import annotations

import importlib
import math
from typing import Any

from ..errors import ConfigError

# task -> (metric name in records, direction); used when the bench registry lacks the task
FALLBACK_PRIMARY: dict[str, tuple[str, str]] = {
    "recognition": ("verification_accuracy", "max"),
    "landmarks2d": ("nme_interocular", "min"),
    "landmarks3d": ("nme_box", "min"),
    "parsing": ("mean_f1", "max"),
    "au": ("icc", "max"),
    "expression": ("accuracy", "max"),
    "attributes": ("mean_balanced_accuracy", "max"),
    "pose": ("mae", "min"),
}


def task_registry() -> Any | None:
    """The bench's task registry with every task imported, or None when the bench is not installed."""
    try:
        module = importlib.import_module("facerep.bench.tasks")
    except ImportError:
        return None
    registry = getattr(module, "TASKS", None)
    ensure = getattr(module, "_ensure_loaded", None)
    if ensure is not None:
        ensure()
    return registry


def list_tasks() -> list[str]:
    """Names of the bench tasks (the fallback table's when no bench is installed)."""
    registry = task_registry()
    names = registry.list() if registry is not None else []
    return names or sorted(FALLBACK_PRIMARY)


def all_tasks() -> list[str]:
    """The tasks ``all`` stands for: the bench's ``ALL_TASKS`` (else every known task)."""
    try:
        from ..bench.tasks import ALL_TASKS
    except ImportError:
        return list_tasks()
    return list(ALL_TASKS)


def primary_metric(task: str) -> tuple[str, str]:
    """``(metric, direction)`` of ``task``; direction is ``"max"`` or ``"min"``."""
    registry = task_registry()
    if registry is not None and task in registry:
        primary = getattr(registry.get(task), "primary", None)
        if primary is not None:
            name, direction = (primary, "max") if isinstance(primary, str) else tuple(primary)
            if direction not in ("max", "min"):
                raise ConfigError(f"task {task!r}: primary direction must be 'max' or 'min', not {direction!r}")
            return str(name), str(direction)
    if task in FALLBACK_PRIMARY:
        return FALLBACK_PRIMARY[task]
    return "", "max"  # unknown task: the report picks its first metric


# metric name (or its prefix before "_", e.g. "f1_hair", "icc_au12") -> the values the metric can take
METRIC_RANGES: dict[str, tuple[float, float]] = {
    **dict.fromkeys(("accuracy", "balanced", "mean", "f1", "macro", "iou", "miou", "pixel", "auc", "roc",
                     "rank1", "tar@far", "fr", "ced", "verification"), (0.0, 1.0)),
    **dict.fromkeys(("icc", "pearson", "ccc"), (-1.0, 1.0)),
    **dict.fromkeys(("nme", "mae", "rmse"), (0.0, math.inf)),
}


def metric_range(metric: str) -> tuple[float, float]:
    """``(low, high)`` of the values ``metric`` can take (accuracies, F1, IoU, AUC in [0, 1]; ICC(3,1),
    Pearson, CCC in [-1, 1]; NME, MAE, RMSE >= 0); unbounded for a metric not known here."""
    name = metric.lower()
    for key in (name, name.split("_")[0], name.split("=")[0]):
        if key in METRIC_RANGES:
            return METRIC_RANGES[key]
    return -math.inf, math.inf
