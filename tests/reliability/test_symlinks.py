"""A symlink loop in an input folder: curate's walk reports it once and reads each image once; a link to
another folder is still followed."""
from __future__ import annotations

import os

from facerep.curate.walk import Input, Skip, walk_inputs

from . import corpus


def test_walk_reports_a_loop_once_and_reads_each_image_once(tmp_path):
    root = tmp_path / "in"
    (root / "people").mkdir(parents=True)
    corpus.good_rgb().save(root / "people" / "a.png")
    loop = corpus.symlink_loop(root / "people")  # people/loop/again -> people/loop
    corpus.good_rgb().save(root / "people" / "loop" / "b.png")
    (tmp_path / "elsewhere").mkdir()
    corpus.good_rgb().save(tmp_path / "elsewhere" / "c.png")
    os.symlink(tmp_path / "elsewhere", root / "linked")
    found = list(walk_inputs(root))
    inputs = sorted(x.rel for x in found if isinstance(x, Input))
    skips = [x for x in found if isinstance(x, Skip)]
    assert inputs == ["linked/c.png", "people/a.png", "people/loop/b.png"]
    assert [(s.rel, s.kind) for s in skips] == [("people/loop/again", "symlink-loop")]
    assert str(loop.parent) in skips[0].message
