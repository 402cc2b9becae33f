"""``facerep info DATA``: what a dataset holds, with every sample decoded and validated."""
from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from ..progress import console
from .formats import load_dataset
from .validate import scan


def info_cmd(
    data: str = typer.Argument(..., help="dataset as FORMAT:PATH, e.g. synth: or 300w:/data/300W"),
    split: str | None = typer.Option(None, help="official split (default: every sample)"),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="count and list bad samples instead of stopping"),
    limit: int | None = typer.Option(None, help="scan only the first N samples"),
) -> None:
    """Decode and validate a dataset; print its size, label kinds, vocabularies and skipped samples."""
    ds = load_dataset(data, split)
    rep = scan(ds, skip_bad=skip_bad, limit=limit)
    info = ds.info
    table = Table(title=f"{data}" + (f" [{split}]" if split else ""))
    table.add_column("field")
    table.add_column("value")
    table.add_row("samples", f"{rep.ok} ok of {rep.n} scanned ({len(ds)} in the dataset)")
    table.add_row("provides", ", ".join(sorted(info.provides)))
    table.add_row("labels seen", ", ".join(f"{k}: {v}" for k, v in sorted(rep.labels.items())))
    table.add_row("image sizes", ", ".join(f"{k} ({v})" for k, v in rep.sizes.most_common(5)))
    for name, vocab in (("mask classes", info.mask_classes), ("expressions", info.expression_classes),
                        ("AUs", info.au_codes), ("attributes", info.attribute_names)):
        if vocab:
            table.add_row(name, ", ".join(map(str, vocab)))
    table.add_row("skipped", str(len(rep.skipped)))
    console.print(table)
    for i, msg in rep.skipped[:50]:
        console.print(f"[yellow]skipped[/] #{i}: {escape(msg)}", highlight=False, soft_wrap=True)
    if len(rep.skipped) > 50:
        console.print(f"… and {len(rep.skipped) - 50} more skipped")


def register(app: typer.Typer) -> None:
    app.command("info")(info_cmd)
