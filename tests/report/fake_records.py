"""Records made up for report tests: 2 backbones (one clearly better), 3 tasks, 3 fractions, 3 seeds,
plus the bench's backbone-independent trivial rows and a robustness row the main report must leave out."""
from __future__ import annotations

import numpy as np
import pandas as pd

from facerep.report.records import to_frame

TASKS = {"expression": ("accuracy", "max"), "landmarks2d": ("nme_interocular", "min"), "pose": ("mae", "min")}
BACKBONES = {"random:timm:resnet18": 0.0, "swav@synth:": 0.2}
FRACTIONS = (0.05, 0.2, 1.0)
SEEDS = (0, 1, 2)


def make_records(seed: int = 0) -> pd.DataFrame:
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
        rows.append({**rows[-1], "mode": "linear", "backbone": "swav@synth:", "corruption": "blur", "severity": 3,
                     "value": 123.0})
    return to_frame(rows)
