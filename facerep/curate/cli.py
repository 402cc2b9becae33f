"""CLI: ``facerep curate IN OUT``, ``facerep redundancy DATA``, ``facerep subset DATA``."""
from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from ..config import CurateConfig, RedundancyConfig, SubsetConfig, resolve_config
from ..errors import ConfigError
from ..progress import console
from .curate import curate
from .dedup import run_redundancy
from .subset import build_subsets


def curate_cmd(
    inp: str = typer.Argument(..., metavar="IN", help="folder of images and videos (recursive), or one file"),
    out: str = typer.Argument(..., metavar="OUT",
                              help="output folder (rerun with the same options to resume)"),
    detector: str | None = typer.Option(None, help="auto | mtcnn | haar | faceapi-ssd"),
    landmarker: str | None = typer.Option(None, help="none | faceapi: 68 landmarks per face, align by them"),
    size: int | None = typer.Option(None, help="aligned crop side, pixels"),
    margin: float | None = typer.Option(None, help="extra border per side, fraction of the crop"),
    fps: float | None = typer.Option(None, help="video frames sampled per second (<= 0: every frame)"),
    max_frames: int | None = typer.Option(None, help="at most this many frames per video (0 = all)"),
    max_faces: int | None = typer.Option(None,
                                         help="at most this many faces per image, largest first (0 = all)"),
    min_size: float | None = typer.Option(None, help="drop faces whose box is smaller, pixels"),
    min_score: float | None = typer.Option(None, help="drop faces with a lower detector score"),
    min_sharpness: float | None = typer.Option(None,
                                               help="drop crops with a lower variance of the Laplacian"),
    min_frontal: float | None = typer.Option(None, help="drop faces less frontal than this (0..1)"),
    shards: bool | None = typer.Option(None, "--shards/--no-shards", help="also write webdataset shards"),
    config: str | None = typer.Option(None, help="YAML file of CurateConfig values"),
    override: list[str] = typer.Option([], "--set", help="key=value config override (repeatable)"),
) -> None:
    """Detect, align and measure every face of images and videos under IN; write crops + manifest to OUT."""
    cfg = resolve_config(CurateConfig, config, override, detector=detector, landmarker=landmarker, size=size,
                         margin=margin, fps=fps, max_frames=max_frames, max_faces=max_faces,
                         min_size=min_size, min_score=min_score, min_sharpness=min_sharpness,
                         min_frontal=min_frontal, shards=shards)
    s = curate(inp, out, cfg)
    console.print(f"curate: {s.inputs} inputs ({s.processed} processed, {s.resumed} already done), "
                  f"{s.frames} frames read, {s.faces} faces in {s.manifest}; {s.frames_without_face} frames "
                  f"without a face; filtered: {dict(s.filtered) or 0}; skipped: {len(s.skipped)}",
                  highlight=False, soft_wrap=True)
    for rel, kind, msg in s.skipped:
        console.print(f"[yellow]skipped[/] {escape(rel or '.')} ({kind}): {escape(msg)}", highlight=False,
                      soft_wrap=True)
    for msg in s.warnings:
        console.print(f"[yellow]warning[/] {escape(msg)}", highlight=False, soft_wrap=True)


def redundancy_cmd(
    data: str = typer.Argument(..., help="dataset (FORMAT:PATH) or a manifest file/folder"),
    backbone: str | None = typer.Option(None,
                                        help="backbone spec or facerep output dir (default: tiny, random)"),
    threshold: float | None = typer.Option(None, help="cosine similarity for near-duplicates"),
    k: int | None = typer.Option(None, help="neighbours per face in the kNN graph"),
    embeddings: str | None = typer.Option(None, help=".npy [N, D] embeddings to use instead of embedding"),
    save_embeddings: str | None = typer.Option(None, help="write the embeddings to this .npy"),
    dedup: str | None = typer.Option(None, help="write the deduplicated manifest here (.parquet or folder)"),
    out: str | None = typer.Option(None,
                                   help="folder for redundancy.json, groups.parquet, effective_size.csv"),
    config: str | None = typer.Option(None, help="YAML file of RedundancyConfig values"),
    override: list[str] = typer.Option([], "--set", help="key=value config override (repeatable)"),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="skip (and count) samples that fail to decode"),
) -> None:
    """Near-duplicate groups of DATA: redundancy ratio, duplicates within/across videos, effective size vs
    stride."""
    cfg = resolve_config(RedundancyConfig, config, override, backbone=backbone, threshold=threshold, k=k)
    rep = run_redundancy(data, cfg, embeddings=embeddings, save_embeddings=save_embeddings, dedup=dedup,
                         out=out, skip_bad=skip_bad)
    table = Table(title=f"redundancy of {rep['data']} (cosine >= {rep['threshold']}, {rep['search']} kNN)")
    table.add_column("measure")
    table.add_column("value")
    for key, val in rep.items():
        if key not in ("effective_size", "data", "threshold", "search", "dedup",
                       "skipped_examples") and val is not None:
            table.add_row(key, f"{val:.4f}" if isinstance(val, float) else str(val))
    console.print(table)
    if "effective_size" in rep:
        console.print("effective size vs frame stride: " + "; ".join(
            f"stride {c['stride']}: {c['effective']} groups / {c['faces']} faces"
            for c in rep["effective_size"]),
            highlight=False, soft_wrap=True)
    for msg in rep.get("skipped_examples", []):
        console.print(f"[yellow]skipped[/] {escape(msg)}", highlight=False, soft_wrap=True)
    if "dedup" in rep:
        console.print(f"deduplicated manifest: {rep['dedup']['path']} ({rep['dedup']['kept']} faces)",
                      highlight=False)


def subset_cmd(
    data: str = typer.Argument(..., help="dataset (FORMAT:PATH) or a manifest file/folder"),
    out: str = typer.Option(..., help="folder for the subset manifests"),
    sizes: str | None = typer.Option(None, help="comma list, e.g. 1k,10k,100k"),
    by: str | None = typer.Option(None, help="image | identity | video: the unit kept whole"),
    seed: int | None = typer.Option(None, help="seed of the draw"),
    quality_min: list[str] = typer.Option([], "--quality-min",
                                          help="key=value minimum, e.g. sharpness=100 (repeatable)"),
    config: str | None = typer.Option(None, help="YAML file of SubsetConfig values"),
    override: list[str] = typer.Option([], "--set", help="key=value config override (repeatable)"),
) -> None:
    """Nested subsets (size study) and filtered-vs-raw subsets (quality study), written as manifests."""
    size_list = [s for s in sizes.split(",") if s.strip()] if sizes else None
    cfg = resolve_config(SubsetConfig, config, override, sizes=size_list, by=by, seed=seed,
                         quality_min=list(quality_min) or None)
    res = build_subsets(data, out, cfg)
    written = {k: v for k, v in res.items() if k.startswith(("subset_", "raw_", "filtered_"))
               and not k.endswith("available")}
    for msg in res["skipped"]:
        console.print(f"[yellow]skipped[/] {escape(msg)}", highlight=False, soft_wrap=True)
    if not written:
        raise ConfigError(f"no subset written: every size is larger than the {res['faces']} faces available")
    console.print(f"subsets of {res['data']} by {res['by']} (seed {res['seed']}) in {out}: "
                  + ", ".join(f"{k} ({v} faces)" for k, v in written.items()), highlight=False,
                  soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("curate")(curate_cmd)
    app.command("redundancy")(redundancy_cmd)
    app.command("subset")(subset_cmd)
