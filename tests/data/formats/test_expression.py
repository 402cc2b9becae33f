"""affectnet, rafdb, fer2013, ckplus against fixtures in their official layouts."""
from __future__ import annotations

import numpy as np
import pytest
from format_fixtures import AFFECTNET_HEADER, affectnet_row, ck_file, ck_landmarks
from formats_util import write_image, write_text

from facerep.data.formats import load_dataset
from facerep.data.vocab import EXPRESSIONS8
from facerep.errors import DataError


def test_affectnet(tmp_path):
    lm = np.random.default_rng(0).uniform(0, 30, (68, 2))
    write_image(tmp_path / "Manually_Annotated_Images" / "689" / "a.jpg")
    write_image(tmp_path / "Manually_Annotated_Images" / "689" / "b.png", mode="L")
    rows = [affectnet_row("689/a.jpg", 1, lm), affectnet_row("689/x.jpg", 10, lm, (-2, -2)),
            affectnet_row("689/y.jpg", 8, lm, (-2, -2)), affectnet_row("689/b.png", 7, lm)]
    lists = tmp_path / "Manually_Annotated_file_lists"
    write_text(lists / "training.csv", AFFECTNET_HEADER + "".join(rows[:3]), "\r\n")
    write_text(lists / "validation.csv", AFFECTNET_HEADER + rows[3])
    ds = load_dataset(f"affectnet:{tmp_path}", "train")
    assert len(ds) == 1 and ds.info.extra["skipped"] == {"10 (no-face)": 1, "8 (none)": 1}
    s = ds[0]
    assert s.expression == 1 and EXPRESSIONS8[1] == "happiness" and s.valence == 0.5 and s.arousal == -0.25
    assert s.box == (2, 3, 22, 21)
    np.testing.assert_allclose(s.landmarks2d, lm, atol=0.006)
    v = load_dataset(f"affectnet:{tmp_path}", "val")[0]
    assert v.expression == 7 and v.image.shape == (24, 32, 3)
    write_text(lists / "validation.csv", AFFECTNET_HEADER.replace(",arousal", "") + rows[3])
    with pytest.raises(DataError, match=r"validation\.csv:1: CSV header lacks column\(s\) arousal"):
        load_dataset(f"affectnet:{tmp_path}", "val")


def test_rafdb(tmp_path):
    basic = tmp_path / "basic"
    write_text(basic / "EmoLabel" / "list_patition_label.txt",
               "train_00001.jpg 5\ntrain_00002.jpg 1\ntest_0001.jpg 7 \n", "\r\n")
    for name in ("train_00001", "train_00002", "test_0001"):
        write_image(basic / "Image" / "aligned" / f"{name}_aligned.jpg", 16, 16)
    ds = load_dataset(f"rafdb:{tmp_path}", "train")
    names = [ds.info.expression_classes[ds.labels(i)["expression"]] for i in range(len(ds))]
    assert names == ["sadness", "surprise"] and ds.info.expression_classes == EXPRESSIONS8[:7]
    t = load_dataset(f"rafdb:{tmp_path}", "test")
    assert t.info.expression_classes[t[0].expression] == "neutral" and t[0].path.endswith("test_0001_aligned.jpg")
    write_text(basic / "EmoLabel" / "list_patition_label.txt", "train_00001.jpg 8\n")
    with pytest.raises(DataError, match=r"list_patition_label\.txt:1: label 8; expected 1..7"):
        load_dataset(f"rafdb:{tmp_path}")


def test_fer2013(tmp_path):
    px = np.random.default_rng(0).integers(0, 256, (3, 48 * 48))
    rows = [f"{e},{' '.join(map(str, p))},{u}\n" for e, p, u in zip((0, 3, 6), px, ("Training", "PublicTest",
                                                                                      "PrivateTest"))]
    csv = write_text(tmp_path / "fer2013.csv", "emotion,pixels,Usage\n" + "".join(rows), "\r\n")
    ds = load_dataset(f"fer2013:{tmp_path}")
    assert len(ds) == 3
    names = [ds.info.expression_classes[ds[i].expression] for i in range(3)]
    assert names == ["anger", "happiness", "neutral"]
    np.testing.assert_array_equal(ds[1].image[..., 2], px[1].reshape(48, 48))
    assert ds[1].path == f"{csv}:3" and len(load_dataset(f"fer2013:{csv}", "test")) == 1
    rows[1] = rows[1].replace(" ", " x ", 1)
    write_text(csv, "emotion,pixels,Usage\n" + "".join(rows))
    with pytest.raises(DataError, match=r"fer2013\.csv:3: pixels has 2305 values; expected 2304"):
        load_dataset(f"fer2013:{tmp_path}")
    rows[1] = rows[1].replace(" x ", " ").replace(" ", " 1x ", 1).replace(" ", "", 1)
    write_text(csv, "emotion,pixels,Usage\n" + "".join(rows))
    with pytest.raises(DataError, match=r"fer2013\.csv:3: pixels: value 1 is '\d*1x', expected a number"):
        load_dataset(f"fer2013:{tmp_path}")[1]


def test_ckplus(tmp_path):
    pts = np.random.default_rng(1).uniform(0, 15, (68, 2))
    lm_text = ck_landmarks(pts)
    for subj, seq, n in (("S005", "001", 3), ("S010", "002", 2)):
        for f in range(1, n + 1):
            write_image(tmp_path / "cohn-kanade-images" / subj / seq / f"{subj}_{seq}_{f:08d}.png", 16, 16,
                        mode="L", seed=f)
            ck_file(tmp_path, "Landmarks", subj, seq, f, "landmarks", lm_text)
        ck_file(tmp_path, "FACS", subj, seq, n, "facs",
                "   1.0000000e+00   0.0000000e+00\n   2.6000000e+01   3.0000000e+00\n" if subj == "S005"
                else "   4.0000000e+00   0.0000000e+00\n")
    ck_file(tmp_path, "Emotion", "S005", "001", 3, "emotion", "   3.0000000e+00\n")
    ds = load_dataset(f"ckplus:{tmp_path}")
    assert len(ds) == 3 and ds.info.au_codes == (1, 4, 26)
    peak, neutral, other = ds[0], ds[1], ds[2]
    assert EXPRESSIONS8[peak.expression] == "disgust" and peak.frame == 3 and peak.subject == "S005"
    np.testing.assert_array_equal(peak.au, [1, 0, 1])
    assert neutral.expression == 0 and neutral.frame == 1 and neutral.au is None
    assert other.expression is None and other.video == "S010_002"
    np.testing.assert_array_equal(other.au, [0, 1, 0])
    np.testing.assert_allclose(peak.landmarks2d, pts, atol=1e-5)
    assert len(load_dataset(f"ckplus:{tmp_path}?neutral=0")) == 2
    ck_file(tmp_path, "Emotion", "S005", "001", 3, "emotion", "   9.0000000e+00\n")
    with pytest.raises(DataError, match=r"S005_001_00000003_emotion\.txt:1: emotion code 9; expected 0..7"):
        load_dataset(f"ckplus:{tmp_path}")
