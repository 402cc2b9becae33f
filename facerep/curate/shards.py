"""Optional webdataset shards of curated faces: ``shard-%06d.tar`` with ``<key>.png|jpg`` (the crop) and
``<key>.json`` (the manifest row). Each shard is written to a temp file and renamed (atomic)."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import webdataset as wds

from ..io import atomic_write


def write_shards(table: pa.Table, out: Path, shard_size: int) -> list[Path]:
    """Write the faces of ``table`` (manifest rows; crops relative to ``out``) as shards under out/shards."""
    rows = table.to_pylist()
    paths = []
    for n, start in enumerate(range(0, len(rows), max(1, shard_size))):
        chunk = rows[start:start + shard_size]
        path = out / "shards" / f"shard-{n:06d}.tar"

        def write(tmp: str, chunk: list[dict] = chunk, start: int = start) -> None:
            with open(tmp, "wb") as f:
                writer = wds.TarWriter(f, mtime=0.0)
                for i, row in enumerate(chunk):
                    ext = row["crop"].rsplit(".", 1)[-1]
                    writer.write({"__key__": f"{start + i:09d}", ext: (out / row["crop"]).read_bytes(),
                                  "json": json.dumps(row).encode("utf-8")})
                writer.close()

        paths.append(atomic_write(path, write))
    for old in sorted((out / "shards").glob("shard-*.tar")):  # shards of an earlier, larger run
        if old not in paths:
            old.unlink()
    return paths
