"""``facerep synth`` (export in official layouts, byte-identical reruns, errors) and ``facerep show``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from facerep.data.formats import load_dataset
from facerep.data.formats.ibug300w import read_pts
from facerep.data.synth import SynthDataset

ARGS = ("--ids", "3", "--per-id", "2", "--size", "48", "--seed", "5")


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_synth_all_formats_rerun_identical(cli, tmp_path):
    out = tmp_path / "s"
    code, stdout, err = cli("--quiet", "synth", out, *ARGS, "--format", "all")
    assert code == 0, err
    assert "wrote 6 faces" in stdout
    n = 6
    assert len(list((out / "300w").glob("*.png"))) == n and len(list((out / "300w").glob("*.pts"))) == n
    for sub, ext in (("images", "jpg"), ("labels", "png"), ("landmarks", "txt")):
        assert len(list((out / "lapa" / "train" / sub).glob(f"*.{ext}"))) == n
    assert len(list((out / "imagefolder" / "expression").rglob("*.png"))) == n
    assert len(list((out / "imagefolder" / "identity").rglob("*.png"))) == n
    assert len((out / "imagefolder" / "identity").iterdir().__next__().name) > 0
    lines = (out / "labels.csv").read_text().splitlines()
    assert len(lines) == n + 1 and lines[0].startswith("name,identity,subject")

    ds = SynthDataset(ids=3, per_id=2, size=48, seed=5)
    s = ds[4]
    pts = read_pts(out / "300w" / "000004.pts")
    assert np.allclose(pts - 1.0, s.landmarks2d, atol=1e-3)  # written 1-based
    head = (out / "300w" / "000004.pts").read_text().splitlines()[:3]
    assert head == ["version: 1", "n_points: 68", "{"]
    assert np.array_equal(np.asarray(Image.open(out / "lapa" / "train" / "labels" / "000004.png")), s.mask)
    assert np.array_equal(np.asarray(Image.open(out / "300w" / "000004.png")), s.image)
    back = load_dataset(f"300w:{out / '300w'}")
    assert len(back) == n
    expr = load_dataset(f"imagefolder:{out / 'imagefolder' / 'expression'}?label=expression")
    assert sorted(x.expression for x in expr) == sorted(ds[i].expression for i in range(n))

    before = files(out)
    again = tmp_path / "again"
    assert cli("--quiet", "synth", again, *ARGS)[0] == 0
    assert files(again) == before
    assert cli("--quiet", "synth", out, *ARGS)[0] == 0  # rerun into the same folder
    assert files(out) == before


def test_synth_one_format_and_video(cli, tmp_path):
    out = tmp_path / "v"
    code, _, err = cli("--quiet", "synth", out, "--ids", "1", "--per-id", "1", "--size", "32", "--video-frames", "3",
                       "--format", "300w")
    assert code == 0, err
    assert len(list((out / "300w").glob("*.pts"))) == 3 and not (out / "lapa").exists()
    rows = (out / "labels.csv").read_text().splitlines()[1:]
    assert [r.split(",")[4] for r in rows] == ["0", "1", "2"]


def test_synth_bad_input_is_one_clear_line(cli, tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, _, err = cli("synth", f, "--ids", "1")
    assert code == 2 and "is an existing file" in err and str(f) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli("synth", tmp_path / "o", "--format", "coco")
    assert code == 2 and "unknown export format 'coco'" in err
    code, _, err = cli("synth", tmp_path / "o", "--size", "8")
    assert code == 2 and "size=8 is out of range" in err
    code, _, err = cli("show", "synth:ids=2,wings=3", "--out", tmp_path / "s.png")
    assert code == 2 and "unknown option 'wings'" in err and "Traceback" not in err


def test_show_writes_a_contact_sheet(cli, tmp_path):
    out = tmp_path / "sheet.png"
    code, _, err = cli("show", "synth:ids=4,per_id=1,size=48", "--out", out, "--n", "4", "--tile", "64")
    assert code == 0, err
    sheet = np.asarray(Image.open(out))
    assert sheet.shape[1] == 2 * 2 * 64 and sheet.shape[0] > 2 * 64  # a legend, 2 rows of pairs and captions
    assert sheet.std() > 20  # faces, not a blank canvas
    code, _, err = cli("show", "synth:ids=2,per_id=1,size=48", "--out", tmp_path)
    assert code == 2 and "is a folder" in err
