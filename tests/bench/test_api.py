"""The bench API's outputs: the printed summary table."""
from __future__ import annotations

import io

from rich.console import Console

from facerep.bench.api import summary_table
from facerep.report.records import to_frame


def _rows(mode: str, value: float, fraction: float) -> list[dict]:
    return [dict(run_id="r", backbone="b", task="expression", dataset="d", mode=mode, fraction=fraction, shots=0,
                 seed=seed, metric="accuracy", value=value + 0.01 * seed, n_train=10, n_test=10, seconds=0.0)
            for seed in (0, 1)]


def _text(table) -> str:
    buf = io.StringIO()
    Console(file=buf, width=200).print(table)
    return buf.getvalue()


def test_a_head_below_its_trivial_baseline_is_flagged():
    df = to_frame(_rows("linear", 0.20, 0.1) + _rows("trivial", 0.26, 0.1)
                  + _rows("linear", 0.40, 1.0) + _rows("trivial", 0.26, 1.0))
    text = _text(summary_table(df))
    assert "0.2050 ± 0.0071 ▼" in text and "0.4050 ± 0.0071 ▼" not in text and "0.4050 ± 0.0071" in text
    assert "below the task's trivial baseline" in text
    fine = _text(summary_table(to_frame(_rows("linear", 0.40, 1.0) + _rows("trivial", 0.26, 1.0))))
    assert "▼" not in fine and "below" not in fine
