"""Which metric a report shows per task, and in which direction is better: each bench task's
``primary = (metric, "max"|"min")``, read from the bench's task registry.
"""
from __future__ import annotations

import math

from ..bench.tasks import get_task, list_tasks
from ..errors import ConfigError


def primary_metric(task: str) -> tuple[str, str]:
    """``(metric, direction)`` of ``task``; direction is ``"max"`` or ``"min"``. ``("", "max")`` for a task
    that is not registered here (records from elsewhere): the report then picks its first metric."""
    if task not in list_tasks():
        return "", "max"
    primary = get_task(task).primary
    name, direction = (primary, "max") if isinstance(primary, str) else tuple(primary)
    if direction not in ("max", "min"):
        raise ConfigError(f"task {task!r}: primary direction must be 'max' or 'min', not {direction!r}")
    return str(name), str(direction)


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
