"""Shared helpers of the formats, the registry entries, and ``facerep info`` / ``formats`` on a fixture."""
from __future__ import annotations

import numpy as np
import pytest
from format_fixtures import WRITERS
from formats_util import write_ids, write_image, write_text
from PIL import Image

from facerep.data.formats import FORMATS, list_formats, load_dataset
from facerep.data.formats._common import parse_floats, parse_options, read_csv, read_label_png, read_lines
from facerep.data.sample import LABEL_KINDS
from facerep.errors import ConfigError, DataError


@pytest.mark.parametrize("name", list_formats())
def test_every_format_registered_with_contract(name):
    cls = FORMATS.get(name)
    assert cls.provides <= set(LABEL_KINDS), name
    assert isinstance(cls.splits, tuple) and callable(cls().open)


def test_every_format_has_a_fixture_and_every_fixture_a_format():
    """A registered format without a fixture is not benched (test_bench_formats); a fixture of a format that is no
    longer registered means the format was lost."""
    assert [f for f in list_formats() if f not in WRITERS] == []
    assert [f for f in WRITERS if f not in list_formats()] == []


@pytest.mark.parametrize("name", list_formats())
def test_fixture_opens_as_its_format(name, tmp_path):
    ds = load_dataset(WRITERS[name](tmp_path / "data"))
    assert len(ds) > 0 and set(ds.info.provides) <= set(LABEL_KINDS), name
    assert ds[0].image.ndim == 3 and ds[0].image.shape[2] == 3, name


def test_read_lines_any_line_ending(tmp_path):
    p = write_text(tmp_path / "a.txt", "\ufeffone  \ntwo\t\nthree", "\r\n")
    assert read_lines(p) == ["one", "two", "three"]
    p.write_bytes(b"a\rb\r")
    assert read_lines(p) == ["a", "b"]
    with pytest.raises(DataError, match=r"nope\.txt: annotation file does not exist"):
        read_lines(tmp_path / "nope.txt")


def test_parse_helpers(tmp_path):
    assert parse_options("/x/y?classes=lapa11&a=1", "f", ("classes", "a")) == ("/x/y", {"classes": "lapa11", "a": "1"})
    with pytest.raises(ConfigError, match="unknown path option 'b'; valid options: a"):
        parse_options("/x?b=1", "f", ("a",))
    np.testing.assert_array_equal(parse_floats(["1", "2.5", "-3e1"], "f.txt", 4), [1, 2.5, -30])
    with pytest.raises(DataError, match=r"f\.txt:4: expected 2 coordinates, found 3"):
        parse_floats(["1", "2", "3"], "f.txt", 4, 2, "coordinates")
    csv = write_text(tmp_path / "t.csv", "a,b,c\n1,2,3\n\n4,5\n")
    with pytest.raises(DataError, match=r"t\.csv:4: row has 2 fields, the header has 3"):
        read_csv(csv, ("a", "b"))


def test_read_label_png_modes_and_errors(tmp_path):
    ids = np.array([[0, 1, 2], [3, 2, 1]])
    for mode in ("L", "P", "I;16"):
        write_ids(tmp_path / f"{mode[0]}.png", ids, mode)
        np.testing.assert_array_equal(read_label_png(tmp_path / f"{mode[0]}.png", (2, 3), 4), ids)
    write_ids(tmp_path / "big.png", ids * 1000, "I;16")
    with pytest.raises(DataError, match=r"big\.png: pixel \(x=1, y=0\) has class id 1000, outside the 4 declared"):
        read_label_png(tmp_path / "big.png", (2, 3), 4)
    Image.fromarray(np.dstack([ids, ids * 0, ids]).astype(np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(DataError, match=r"rgb\.png: label image is colour RGB"):
        read_label_png(tmp_path / "rgb.png", (2, 3), 4)


def test_cli_info_and_formats(tmp_path, cli):
    write_image(tmp_path / "images" / "a.png", 10, 12)
    write_ids(tmp_path / "labels" / "a.png", np.ones((12, 10)))
    write_image(tmp_path / "images" / "b.png", 10, 12)
    write_ids(tmp_path / "labels" / "b.png", np.ones((12, 9)))
    code, out, err = cli("info", f"segfolder:{tmp_path}?classes=lapa11", "--skip-bad")
    assert code == 0, err
    assert "1 ok of 2" in out and "b.png" in out and "9×12" in out
    code, out, err = cli("info", f"segfolder:{tmp_path}?classes=lapa11")
    assert code == 2 and "b.png" in err and "9×12" in err and "Traceback" not in err
    code, out, _ = cli("formats")
    assert code == 0 and "celebamask-hq" in out and "300w" in out
    assert len(load_dataset(f"segfolder:{tmp_path}?classes=lapa11")) == 2


def test_datasets_pickle_for_dataloader_workers(tmp_path):
    import pickle

    write_image(tmp_path / "images" / "a.png", 10, 12)
    write_ids(tmp_path / "labels" / "a.png", np.full((12, 10), 2))
    ds = pickle.loads(pickle.dumps(load_dataset(f"segfolder:{tmp_path}?classes=lapa11")))
    assert (ds[0].mask == 2).all() and ds.info.mask_classes[2] == "left_eyebrow"


def test_splits_at_reports_the_splits_a_folder_has(tmp_path):
    from facerep.data.formats import get_format

    write_image(tmp_path / "flat" / "a.jpg")
    write_text(tmp_path / "flat" / "a.pts", "".join(f"{k + 1} {k + 2}\n" for k in range(68)))
    assert get_format("300w").splits_at(str(tmp_path / "flat")) == ()
    write_image(tmp_path / "ibug" / "b.jpg")
    write_text(tmp_path / "ibug" / "b.pts", "".join(f"{k + 1} {k + 2}\n" for k in range(68)))
    assert get_format("300w").splits_at(str(tmp_path)) == ("challenging", "full")
    assert get_format("aflw2000-3d").splits_at(str(tmp_path)) == ()


def test_subject_and_sequence_ids_from_file_names(tmp_path):
    """CK+48-style folders: ``subject=`` / ``video=`` regexes name each frame's subject and sequence."""
    for cls, name in [("anger", "S010_004_00000017.png"), ("anger", "S010_004_00000018.png"),
                      ("happy", "S011_002_00000009.png")]:
        write_image(tmp_path / cls / name, 12, 10)
    ds = load_dataset(f"imagefolder:{tmp_path}?label=expression&subject=(S\\d+)_&video=(S\\d+_\\d+)_")
    got = sorted((s.subject, s.video) for s in (ds[i] for i in range(len(ds))))
    assert got == [("S010", "S010_004"), ("S010", "S010_004"), ("S011", "S011_002")]
    whole = load_dataset(f"imagefolder:{tmp_path}?label=expression&subject=S\\d+")  # no group: the whole match
    assert sorted(whole[i].subject for i in range(len(whole))) == ["S010", "S010", "S011"]
    with pytest.raises(DataError, match=r"anger/S010_004_00000017.png.*does not match subject"):
        load_dataset(f"imagefolder:{tmp_path}?label=expression&subject=^happy/(S\\d+)")
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        load_dataset(f"imagefolder:{tmp_path}?label=expression&subject=(S\\d+")
