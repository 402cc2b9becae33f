"""``facerep weights NAME [--from PATH]``: put a family of published weights into facerep's cache."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from ..progress import console
from ..registry import Registry
from .faceapi.weights import fetch_weights

WeightsFetcher = Callable[..., Path]
WEIGHTS: Registry[WeightsFetcher] = Registry("weights family")


def _faceapi(source: str | None) -> Path:
    return fetch_weights(source)


WEIGHTS.register("faceapi", description="@vladmandic/face-api@1.7.15 (MIT): TF.js weights of the faceapi:* "
                 "networks and the demo photos, via `npm pack`")(_faceapi)


def weights_cmd(
    name: str = typer.Argument(..., help="weights family: " + ", ".join(WEIGHTS.list())),
    source: str | None = typer.Option(None, "--from", metavar="PATH",
                                         help="a downloaded tarball or an unpacked package instead of npm"),
) -> None:
    """Fetch (or take from --from), check and unpack published weights into facerep's cache."""
    where = WEIGHTS.get(name)(source)
    console.print(f"{name}: weights checked and unpacked in {where}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("weights")(weights_cmd)
