"""A cheap cell kind for the sweep tests (imported by specs through ``imports: [facerep_test_cells]``).

``toy`` cells write a progress file line by line while they "work" (so a kill leaves partial state
behind), then return deterministic records computed from their config."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from facerep.records import to_frame
from facerep.sweep.kinds import CellKind, register_cell_kind


@register_cell_kind("toy", description="test-only: sleeps, then returns records computed from x")
class ToyCell(CellKind):
    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"x": int(params["x"]), "steps": int(params.get("steps", 3)), "sleep": float(params.get("sleep", 0.0)),
                "fail": bool(params.get("fail", False))}

    def label(self, config: dict[str, Any]) -> str:
        return f"toy x={config['x']}"

    def run(self, config: dict[str, Any], cell_dir: Path, deps: dict[str, Path]) -> pd.DataFrame:
        if config["fail"]:
            raise RuntimeError(f"toy cell x={config['x']} asked to fail")
        rows = []
        for step in range(config["steps"]):
            time.sleep(config["sleep"] / config["steps"])
            with open(cell_dir / "progress.txt", "a") as f:
                f.write(f"{step}\n")
            rows.append({"run_id": f"toy{config['x']}", "backbone": f"b{config['x'] % 2}", "task": "toy",
                         "dataset": "none", "mode": "linear", "fraction": (step + 1) / config["steps"], "shots": -1,
                         "seed": config["x"], "metric": "score", "value": math.sin(config["x"] + step),
                         "n_train": 10 * (step + 1), "n_test": 5, "seconds": 0.0})
        return to_frame(rows)
