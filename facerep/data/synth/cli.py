"""``facerep synth OUT ...`` (write a synthetic set in official layouts) and ``facerep show DATA``
(contact sheet of any dataset with landmarks and masks overlaid)."""
from __future__ import annotations

from pathlib import Path

import typer

from ...config import SynthConfig, resolve_config
from ...errors import ConfigError
from ...progress import console
from ..formats import load_dataset
from .dataset import SynthDataset, check_config
from .exporter import export, resolve_formats
from .sheet import contact_sheet, write_png


def synth_cmd(
    out: Path = typer.Argument(..., help="output folder (created; an existing file is an error)"),
    ids: int | None = typer.Option(None, help="identities [SynthConfig.ids]"),
    per_id: int | None = typer.Option(None, "--per-id", help="images (video mode: clips) per identity"),
    size: int | None = typer.Option(None, help="image side in pixels [SynthConfig.size]"),
    seed: int | None = typer.Option(None, help="random seed [SynthConfig.seed]"),
    video_frames: int | None = typer.Option(None, "--video-frames",
                                            help="frames per clip (0 = still images)"),
    fmt: str = typer.Option("all", "--format", help="imagefolder, 300w, lapa or all (comma list allowed)"),
    vary: str | None = typer.Option(None, help="render each face at several values of one attribute: "
                                       "skin_tone, hair_colour, glasses, beard or age"),
    vary_levels: int | None = typer.Option(None, "--vary-levels", help="values of --vary per face"),
) -> None:
    """Write synthetic labelled faces to OUT as 300W / LaPa / image folders plus labels.csv."""
    formats = resolve_formats(fmt)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output path {str(out)!r} is an existing file; give a folder")
    cfg = check_config(resolve_config(SynthConfig, ids=ids, per_id=per_id, size=size, seed=seed,
                                      video_frames=video_frames, vary=vary, vary_levels=vary_levels))
    n = export(SynthDataset(cfg), out, formats)
    console.print(f"wrote {n} faces ({', '.join(formats)}) to {out}", highlight=False)


def show_cmd(
    data: str = typer.Argument(...,
                               help="dataset as FORMAT:PATH, e.g. synth:ids=8,per_id=4 or 300w:/data/300W"),
    out: Path = typer.Option(..., "--out", help="PNG file to write"),
    n: int = typer.Option(32, "--n", min=1, help="number of samples, spread evenly over the dataset"),
    split: str | None = typer.Option(None, help="official split (default: every sample)"),
    tile: int = typer.Option(128, min=32, help="tile side in pixels"),
) -> None:
    """Write a contact sheet of DATA: landmarks (subject's right red, left blue) and masks overlaid."""
    if out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a folder; give a .png file name")
    ds = load_dataset(data, split)
    if len(ds) == 0:
        raise ConfigError(f"dataset {data!r} has no samples")
    write_png(out, contact_sheet(ds, ds.info, n=n, tile=tile))
    console.print(f"wrote {out} ({min(n, len(ds))} samples of {len(ds)})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("synth")(synth_cmd)
    app.command("show")(show_cmd)
