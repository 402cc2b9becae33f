"""The records schema, re-exported: it lives in :mod:`facerep.records` (below both bench and report).
Import it from there; this name stays while tests/bench imports it from here."""
from __future__ import annotations

from ..records import OPTIONAL_COLUMNS, RECORD_COLUMNS, TEXT_COLUMNS, read_records, to_frame, write_records

__all__ = ["OPTIONAL_COLUMNS", "RECORD_COLUMNS", "TEXT_COLUMNS", "read_records", "to_frame", "write_records"]
