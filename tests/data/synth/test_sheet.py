"""Contact sheets (``facerep show``): a legend says which tile is which and names every mask colour shown;
captions are written in full (the font shrinks to fit the tile pair), never cut."""
from __future__ import annotations

import dataclasses

import numpy as np

from facerep.data.synth import SynthDataset
from facerep.data.synth.dataset import parse_synth_options
from facerep.data.synth.sheet import BACKGROUND, PALETTE, TEXT, _text, caption_height, contact_sheet, legend


def _has(img: np.ndarray, colour: tuple[int, ...]) -> bool:
    return bool((np.abs(img.astype(int) - np.array(colour)).max(axis=2) == 0).sum() >= 20)


def test_legend_names_the_tiles_and_every_mask_colour_shown() -> None:
    ds = SynthDataset(parse_synth_options("ids=4,per_id=1,size=48"))
    tile = 64
    sheet = contact_sheet(ds, ds.info, n=4, tile=tile)
    shown = sorted({int(v) for i in range(len(ds)) for v in np.unique(ds[i].mask)} - {0, 255})
    band = legend(ds.info, sheet.shape[1], shown)
    assert np.array_equal(sheet[:band.shape[0]], band)  # the legend is the sheet's top band
    assert sheet.shape == (band.shape[0] + 2 * (tile + caption_height(tile)), 2 * 2 * tile, 3)
    assert len(shown) >= 8
    for c in shown:  # a swatch of every mask class the tiles show (their names are written beside them)
        assert _has(band, tuple(PALETTE[c])), ds.info.mask_classes[c]
    for colour in ((255, 40, 40), (40, 80, 255), (40, 220, 40)):  # the landmark colours
        assert _has(band, colour)
    no_masks = dataclasses.replace(ds.info, mask_classes=())
    assert not any(_has(legend(no_masks, 256), tuple(PALETTE[c])) for c in shown)


def test_captions_are_written_whole() -> None:
    strip = np.full((caption_height(32), 64, 3), BACKGROUND, np.uint8)
    width = _text(strip, "id 123, happiness", (3, strip.shape[0] - 4), TEXT, max_width=58)
    assert 40 < width <= 58  # shrunk to fit the 64 px pair, not cut at the edge
    cols = np.flatnonzero((strip != BACKGROUND).any(axis=(0, 2)))
    assert cols.min() >= 2 and cols.max() <= 62
    wide = np.full((20, 400, 3), BACKGROUND, np.uint8)
    assert _text(wide, "id 123, happiness", (3, 16), TEXT, max_width=394) > width  # full size where it fits
