"""``facerep redundancy DATA``: embed, group near-duplicates, report, and optionally write the
deduplicated manifest (one face per group: the sharpest when the manifest has ``sharpness``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import RedundancyConfig, config_to_dict
from ..data.formats import load_dataset, parse_spec
from ..data.formats.manifest import read_manifest, write_manifest
from ..data.skip import SkippingDataset
from ..errors import ConfigError, DataError
from ..io import atomic_write, atomic_write_text
from .embed import embed_dataset
from .redundancy import groups_from_graph, knn_graph, redundancy_stats, representatives


@dataclass
class Table:
    """Per-face metadata of a dataset: a manifest DataFrame (``base`` = its folder) or one built from
    samples."""

    df: Any
    base: Path | None
    spec: str


def resolve_spec(data: str) -> str:
    """A bare path to a manifest (a .parquet file or a folder holding manifest.parquet) means
    ``manifest:PATH``."""
    p = Path(data)
    if p.exists() and (p.suffix == ".parquet" or (p / "manifest.parquet").is_file()):
        return f"manifest:{data}"
    return data


def load_table(spec: str, skip_bad: bool = False) -> tuple[Any, Table]:
    """(dataset, metadata table). For formats other than manifests the table is built by reading each sample.
    ``skip_bad``: the dataset is a :class:`~facerep.data.skip.SkippingDataset` (bad samples counted in
    ``.skipped``) and the table holds the good rows only; ``index`` stays the index in the full dataset."""
    ds = load_dataset(spec)
    keep = np.arange(len(ds))
    if skip_bad:
        ds = SkippingDataset(ds, validate=False)
        keep = ds.indices
    name, path = parse_spec(spec)
    if name == "manifest":
        df, base = read_manifest(path)
        return ds, Table(df.iloc[keep].reset_index(drop=True), base, spec)
    rows = []
    for i in range(len(ds)):
        s = ds[i]
        rows.append({"dataset": spec, "index": int(keep[i]), "identity": s.identity, "subject": s.subject,
                     "video": s.video, "frame": -1 if s.frame is None else s.frame})
    return ds, Table(pd.DataFrame(rows), None, spec)


def _load_embeddings(path: str, n: int) -> np.ndarray:
    try:
        emb = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read embeddings ({e})", path) from None
    if emb.ndim != 2 or emb.shape[0] != n:
        raise DataError(f"embeddings have shape {emb.shape}; expected [{n}, D] (one row per face)", path)
    return emb


def _video_keys(df: Any) -> np.ndarray | None:
    """The 'video' of each face for within/across statistics: its video, else its source image."""
    for col in ("video", "source", "subject"):
        if col in df.columns:
            vals = df[col].astype(object)
            if col == "video" and "source" in df.columns:
                vals = vals.where(vals.notna(), df["source"])
            return vals.fillna("").astype(str).to_numpy()
    return None


def run_redundancy(data: str, cfg: RedundancyConfig, *, embeddings: str | None = None,
                   save_embeddings: str | None = None, dedup: str | None = None,
                   out: str | None = None, skip_bad: bool = False) -> dict[str, Any]:
    """Group near-duplicates of DATA and return the report (also written to ``out``/redundancy.json).
    ``skip_bad``: samples that fail to decode are left out, counted in ``report["skipped"]`` and listed in
    ``report["skipped_examples"]``; otherwise the first one raises DataError naming its file."""
    if not -1.0 <= cfg.threshold <= 1.0 or cfg.k < 1:
        raise ConfigError("redundancy: threshold must be a cosine in [-1, 1] and k >= 1 (got "
                          f"{cfg.threshold}, {cfg.k})")
    spec = resolve_spec(data)
    ds, table = load_table(spec, skip_bad)
    n = len(table.df)
    if embeddings:
        emb = _load_embeddings(embeddings, n)
    else:
        emb = embed_dataset(ds, cfg.backbone, image_size=cfg.image_size, batch_size=cfg.batch_size)
    if save_embeddings:
        atomic_write(save_embeddings, lambda tmp: np.save(tmp, np.asarray(emb)))
    graph = knn_graph(emb, cfg)
    labels = groups_from_graph(graph, cfg.threshold)
    frames = table.df["frame"].fillna(-1).to_numpy() if "frame" in table.df.columns else None
    report = redundancy_stats(labels, _video_keys(table.df), frames, cfg.strides)
    report.update({"data": spec, "threshold": cfg.threshold, "k": cfg.k,
                   "search": "exact" if graph.exact else "ivf",
                   "backbone": cfg.backbone or "(default, random weights)", "embeddings": embeddings})
    if skip_bad:
        report["skipped"] = len(ds.skipped)
        report["skipped_examples"] = [f"{s.path}: {s.reason}" if s.path else s.reason
                                      for s in ds.skipped[:50]]
    if dedup:
        keep = representatives(labels, table.df["sharpness"].to_numpy() if "sharpness" in table.df.columns
                               else None)
        _write_dedup(table, keep, dedup)
        report["dedup"] = {"path": dedup, "kept": len(keep)}
    if out:
        _write_outputs(Path(out), report, labels, table, cfg)
    return report


def _write_dedup(table: Table, keep: np.ndarray, path: str) -> None:
    if Path(path).suffix != ".parquet":
        path = str(Path(path) / "manifest.parquet")
    write_manifest(table.df.iloc[keep], path, table.base)


def _write_outputs(out: Path, report: dict[str, Any], labels: np.ndarray, table: Table,
                   cfg: RedundancyConfig) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "redundancy.json", json.dumps(report, indent=2))
    atomic_write_text(out / "redundancy_config.json", json.dumps(config_to_dict(cfg), indent=2))
    groups = pd.DataFrame({"row": np.arange(len(labels)), "group": labels})
    for col in ("source", "video", "frame", "crop", "dataset", "index"):
        if col in table.df.columns:
            groups[col] = table.df[col].to_numpy()
    atomic_write(out / "groups.parquet", lambda tmp: groups.to_parquet(tmp, index=False))
    if "effective_size" in report:
        curve = pd.DataFrame(report["effective_size"])
        atomic_write_text(out / "effective_size.csv", curve.to_csv(index=False))
