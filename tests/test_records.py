"""The records schema (facerep/records.py): the columns every writer and reader shares."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from facerep.errors import DataError
from facerep.records import OPTIONAL_COLUMNS, RECORD_COLUMNS, read_records, to_frame, write_records


def _row(**kw: object) -> dict[str, object]:
    row: dict[str, object] = dict(run_id="r1", backbone="timm:resnet18", task="pose", dataset="synth", mode="linear",
                                  fraction=1.0, shots=0, seed=0, metric="mae", value=1.5, n_train=10, n_test=5,
                                  seconds=0.1)
    return {**row, **kw}


def test_to_frame_puts_the_contract_columns_first_and_refuses_rows_without_them() -> None:
    df = to_frame([{"extra": 1, **_row()}])
    assert list(df.columns) == [*RECORD_COLUMNS, "extra"]
    assert list(to_frame([]).columns) == list(RECORD_COLUMNS)
    with pytest.raises(ValueError, match="lack columns \\['value'\\]"):
        to_frame([{k: v for k, v in _row().items() if k != "value"}])


def test_read_records_names_the_file_that_is_not_a_records_file(tmp_path: Path) -> None:
    bad = tmp_path / "records.csv"
    pd.DataFrame({"run_id": ["a"], "value": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match="missing columns") as e:
        read_records(tmp_path)
    assert str(bad) in str(e.value)


def test_optional_columns_read_as_their_defaults(tmp_path: Path) -> None:
    write_records(to_frame([_row()]), tmp_path)
    back = read_records(tmp_path / "records.csv")
    assert {c: back[c].iloc[0] for c in OPTIONAL_COLUMNS} == OPTIONAL_COLUMNS


def test_text_columns_stay_text_when_they_look_like_numbers(tmp_path: Path) -> None:
    """A run id of hex digits such as "813e40123456" reads back as that string (not 8.13e45), so records of
    several runs merge and write to Parquet."""
    rows = [_row(run_id=rid, value=v, group="") for rid, v in (("813e40123456", 1.5), ("000000000042", float("nan")))]
    write_records(to_frame(rows), tmp_path)
    back = read_records(tmp_path / "records.csv")
    assert list(back["run_id"]) == ["813e40123456", "000000000042"]
    assert back["value"].isna().tolist() == [False, True]
    write_records(back, tmp_path / "again")  # Parquet accepts the merged frame
