"""Records made up for report tests: 2 backbones (one clearly better), 3 tasks, 3 fractions, 3 seeds,
plus the bench's backbone-independent trivial rows and a robustness row the main report must leave out.

:func:`make_axis_records` adds the robustness and subgroup axes as the bench writes them: corrupted copies of the
linear rows (``corruption`` / ``severity``; ``clean`` / 0 for clean rows) and per-group rows (``group`` =
``skin_tone=VALUE`` with ``n_group``, bootstrap ``ci_low`` / ``ci_high``, NaN for a group too small for a CI)
plus one ``skin_tone:gap`` row (best minus worst group) per run and metric; under occluders, landmarks2d also has
``nme_interocular_visible`` / ``_occluded`` rows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from facerep.records import to_frame

TASKS = {"expression": ("accuracy", "max"), "landmarks2d": ("nme_interocular", "min"), "pose": ("mae", "min")}
BACKBONES = {"random:timm:resnet18": 0.0, "swav@synth:": 0.2}
FRACTIONS = (0.05, 0.2, 1.0)
SEEDS = (0, 1, 2)
# corruption -> severities as the bench writes them; quality drops by STEP per rank (mild to strong)
CORRUPTIONS = {"blur": ("1", "2", "3"), "lowres": ("32", "16"), "occlusion": ("sunglasses", "mask")}
STEP = {"random:timm:resnet18": 0.06, "swav@synth:": 0.02}
GROUPS = {"light": (40, 0.05), "medium": (30, 0.0), "dark": (3, -0.1)}  # value -> (test samples, quality offset)


def make_records(seed: int = 0, stray_corruption: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for task, (metric, direction) in TASKS.items():
        for backbone, gain in BACKBONES.items():
            for fr in FRACTIONS:
                for s in SEEDS:
                    quality = 0.3 + gain + 0.3 * fr + 0.02 * rng.standard_normal()
                    value = quality if direction == "max" else 1.0 - quality
                    for m, v in ((metric, value), ("other_metric", -5.0)):
                        rows.append({"run_id": f"r-{backbone}", "backbone": backbone, "task": task, "dataset": "synth:",
                                     "mode": "linear", "fraction": fr, "shots": -1, "seed": s, "metric": m, "value": v,
                                     "n_train": int(200 * fr), "n_test": 60, "seconds": 2.0})
                    rows.append({**rows[-2], "mode": "trivial", "value": 0.25 if direction == "max" else 0.9})
        if stray_corruption:
            rows.append({**rows[-1], "mode": "linear", "backbone": "swav@synth:", "corruption": "blur", "severity": 3,
                         "value": 123.0})
    return to_frame(rows)


def _worse(value: float, direction: str, amount: float) -> float:
    return value - amount if direction == "max" else value + amount


def make_axis_records(seed: int = 0) -> pd.DataFrame:
    """Clean records (no stray row) + corrupted rows at fractions 0.2 and 1.0 + subgroup rows at every fraction."""
    clean = make_records(seed, stray_corruption=False).assign(corruption="clean", severity="0", group="")
    lin = clean[(clean["mode"] == "linear") & (clean["metric"] != "other_metric")]
    rows = []
    for r in lin.to_dict("records"):
        direction = TASKS[r["task"]][1]
        if r["fraction"] >= 0.2:
            for corr, sevs in CORRUPTIONS.items():
                for rank, sev in enumerate(sevs, start=1):
                    rows.append({**r, "corruption": corr, "severity": sev,
                                 "value": _worse(r["value"], direction, STEP[r["backbone"]] * rank)})
                    if corr == "occlusion" and r["task"] == "landmarks2d":  # dense: visible / occluded parts
                        for part, extra in (("visible", -0.01), ("occluded", 0.1 * rank)):
                            rows.append({**rows[-1], "metric": f"{r['metric']}_{part}", "value": rows[-1]["value"] + extra})
        values = {}
        for name, (n, offset) in GROUPS.items():
            v = _worse(r["value"], direction, -offset * (1.0 if r["backbone"].startswith("random") else 0.3))
            values[name] = v
            lo, hi = (np.nan, np.nan) if n < 5 else (v - 0.04, v + 0.04)
            rows.append({**r, "group": f"skin_tone={name}", "n_group": n, "value": v, "ci_low": lo, "ci_high": hi})
        rows.append({**r, "group": "skin_tone:gap", "n_group": sum(n for n, _ in GROUPS.values()),
                     "value": max(values.values()) - min(values.values())})
    return pd.concat([clean, pd.DataFrame(rows)], ignore_index=True)


# per task: metric, direction, per-seed values of each backbone and of the trivial baseline (2 seeds, one
# fraction)
EDGE = {
    "parsing": ("mean_f1", "max", {"swav pre-trained": (0.01, 0.09), "random init": (0.02, 0.03)},
                (0.005, 0.005)),
    "attributes": ("mean_balanced_accuracy", "max",
                   {"swav pre-trained": (0.95, 0.999), "random init": (0.9, 0.92)}, (0.5, 0.5)),
    "au": ("icc", "max", {"swav pre-trained": (0.2, 0.3), "random init": (-1e-9, 1e-10)}, (-1e-9, -2e-9)),
    "expression": ("accuracy", "max", {"swav pre-trained": (0.488, 0.488), "random init": (0.45, 0.46)},
                   (0.488, 0.488)),
}


def make_edge_records() -> pd.DataFrame:
    """Two seeds near the ends of each metric's range (CI bands that would leave it), a head tied with the
    trivial baseline (expression), heads below it, and a trivial ICC of -1e-9 (shown as -0.000 unless fixed).
    """
    rows = []
    for task, (metric, _, values, trivial) in EDGE.items():
        for backbone, per_seed in {**values, "trivial": trivial}.items():
            for seed, v in enumerate(per_seed):
                trivial = backbone == "trivial"
                name = "swav pre-trained" if trivial else backbone  # trivial rows sit in a backbone's run
                rows.append({"run_id": f"r-{backbone}", "backbone": name,
                             "task": task, "dataset": "synth:", "fraction": 1.0, "shots": -1,
                             "mode": "trivial" if trivial else "linear", "seed": seed, "metric": metric,
                             "value": v, "n_train": 100, "n_test": 60, "seconds": 2.0})
    return to_frame(rows)
