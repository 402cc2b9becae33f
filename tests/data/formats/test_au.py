"""disfa and bp4d against fixtures in their official layouts."""
from __future__ import annotations

import numpy as np
import pytest
from format_fixtures import bp4d_csv, make_disfa
from formats_util import write_image, write_text

from facerep.data.formats import load_dataset
from facerep.data.vocab import BP4D_AUS, DISFA_AUS
from facerep.errors import DataError


def test_disfa(tmp_path):
    truth = make_disfa(tmp_path)
    ds = load_dataset(f"disfa:{tmp_path}")
    assert len(ds) == 6 and ds.info.au_codes == DISFA_AUS
    assert ds.info.extra["frames_without_image"] == {"SN001": 1, "SN002": 1}
    s = ds[4]
    assert s.subject == "SN002" and s.frame == 2 and s.path.endswith("SN002/00002.png")
    np.testing.assert_array_equal(s.au, truth["SN002"][1])
    ds0 = load_dataset(f"disfa:{tmp_path}?frame_base=0")  # file 00001 = label frame 2
    assert ds0[0].frame == 2 and len(ds0) == 6
    with pytest.raises(DataError, match="no official splits"):
        load_dataset(f"disfa:{tmp_path}", "train")


def test_disfa_bad(tmp_path):
    make_disfa(tmp_path, ("SN003",))
    write_text(tmp_path / "ActionUnit_Labels" / "SN003" / "SN003_au4.txt", "1,0\n2,x\n")
    with pytest.raises(DataError, match=r"SN003_au4\.txt:2: .*'x', expected a number"):
        load_dataset(f"disfa:{tmp_path}")
    write_text(tmp_path / "ActionUnit_Labels" / "SN003" / "SN003_au4.txt", "1,0\n2,7\n")
    with pytest.raises(DataError, match=r"SN003_au4\.txt:2: intensity 7 outside 0..5"):
        load_dataset(f"disfa:{tmp_path}")
    write_text(tmp_path / "ActionUnit_Labels" / "SN003" / "SN003_au4.txt", "1,0\n2,5\n")
    (tmp_path / "ActionUnit_Labels" / "SN003" / "SN003_au26.txt").unlink()
    with pytest.raises(DataError, match=r"SN003_au26\.txt: missing AU file for AU26"):
        load_dataset(f"disfa:{tmp_path}")


def test_bp4d(tmp_path):
    codes = list(range(1, 40))  # the FERA 2015 files list many AU columns; 12 are used
    occ = np.random.default_rng(0).integers(0, 2, (3, len(codes)))
    occ[1, codes.index(4)] = 9
    rows = [[2440 + f] + list(occ[f]) for f in range(3)]
    write_text(tmp_path / "AUCoding" / "AU_OCC" / "F001_T1.csv", bp4d_csv(codes, rows), "\r\n")
    for f in range(3):
        write_image(tmp_path / "2DFrames" / "F001" / "T1" / f"{2440 + f}.jpg", 8, 8)
    ds = load_dataset(f"bp4d:{tmp_path}")
    assert len(ds) == 3 and ds.info.au_codes == BP4D_AUS
    s = ds[1]
    assert s.subject == "F001" and s.video == "F001_T1" and s.frame == 2441
    want = np.array([occ[1, codes.index(a)] for a in BP4D_AUS], dtype=np.float32)
    want[BP4D_AUS.index(4)] = np.nan
    np.testing.assert_array_equal(s.au, want)
    write_text(tmp_path / "AUCoding" / "AU_OCC" / "F001_T1.csv", bp4d_csv([1, 2, 4], [[1, 0, 1, 0]]))
    with pytest.raises(DataError, match=r"F001_T1\.csv:1: header lacks AU column\(s\) 6, 7, 10"):
        load_dataset(f"bp4d:{tmp_path}")
    rows[2][codes.index(12) + 1] = 3
    write_text(tmp_path / "AUCoding" / "AU_OCC" / "F001_T1.csv", bp4d_csv(codes, rows))
    with pytest.raises(DataError, match=r"F001_T1\.csv:4: AU12 value 3; expected 0, 1 or 9"):
        load_dataset(f"bp4d:{tmp_path}")
