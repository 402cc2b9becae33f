"""lapa, celebamask-hq, segfolder, helen against fixtures in their official layouts."""
from __future__ import annotations

import numpy as np
import pytest
from format_fixtures import ids_map, make_celebamask, make_helen, make_lapa
from formats_util import write_ids, write_image, write_text

from facerep.data.formats import load_dataset
from facerep.data.vocab import CELEBAMASK19, LAPA11
from facerep.errors import DataError


def test_lapa(tmp_path):
    truth = make_lapa(tmp_path)
    for split in ("train", "val", "test"):
        ds = load_dataset(f"lapa:{tmp_path}", split)
        s = ds[0]
        np.testing.assert_array_equal(s.mask, truth[split][0])
        np.testing.assert_allclose(s.landmarks2d, truth[split][1], atol=1e-3)
        assert ds.info.mask_classes == LAPA11 and s.image.shape == (16, 20, 3)
    assert len(load_dataset(f"lapa:{tmp_path}")) == 3


def test_lapa_bad_inputs(tmp_path):
    truth = make_lapa(tmp_path)
    ids = truth["train"][0].copy()
    ids[3, 5] = 11
    write_ids(tmp_path / "train" / "labels" / "0_face.png", ids)
    ds = load_dataset(f"lapa:{tmp_path}", "train")
    with pytest.raises(DataError, match=r"0_face\.png: pixel \(x=5, y=3\) has class id 11, outside the 11 declared"):
        ds[0]
    write_ids(tmp_path / "train" / "labels" / "0_face.png", truth["train"][0][:, :18])
    with pytest.raises(DataError, match=r"0_face\.png: label image is 18×16 but its image is 20×16"):
        ds[0]
    write_text(tmp_path / "train" / "landmarks" / "0_face.txt", "106\n" + "1 2\n" * 105)
    with pytest.raises(DataError, match=r"0_face\.txt:106: expected 106 points \(count line says 106\), found 105"):
        load_dataset(f"lapa:{tmp_path}", "train")


def test_celebamask_hq_merge_order_and_splits(tmp_path):
    parts_of = {0: {"skin": np.s_[2:14, 2:14], "nose": np.s_[6:9, 6:9], "hair": np.s_[0:4, :]},
                1: {"cloth": np.s_[12:, :], "skin": np.s_[:, :]},
                2000: {"l_eye": np.s_[5, 5]}}
    make_celebamask(tmp_path, parts_of)
    write_text(tmp_path / "CelebA-HQ-to-CelebA-mapping.txt",
               "idx         orig_idx        orig_file\n0           119613          119614.jpg\n"
               "1           99094           099095.jpg\n2000        200001          200002.jpg\n")
    write_text(tmp_path / "list_eval_partition.txt", "099095.jpg 0\n119614.jpg 1\n200002.jpg 2\n", "\r\n")
    ds = load_dataset(f"celebamask-hq:{tmp_path}", "val")
    s = ds[0]
    assert s.path.endswith("/0.jpg") and s.image.shape == (16, 16, 3) and s.mask.shape == (16, 16)
    c = {n: k for k, n in enumerate(CELEBAMASK19)}
    assert s.mask[7, 7] == c["nose"] and s.mask[2, 5] == c["hair"] and s.mask[10, 3] == c["skin"]
    assert s.mask[15, 0] == 0
    s1 = load_dataset(f"celebamask-hq:{tmp_path}", "train")[0]
    assert s1.mask[13, 0] == c["cloth"] and s1.mask[0, 0] == c["skin"]  # later parts overwrite earlier
    s2 = load_dataset(f"celebamask-hq:{tmp_path}", "test")[0]
    assert s2.mask[5, 5] == c["l_eye"] and s2.mask.sum() == c["l_eye"]
    (tmp_path / "CelebA-HQ-to-CelebA-mapping.txt").unlink()
    assert len(load_dataset(f"celebamask-hq:{tmp_path}")) == 3
    write_image(tmp_path / "CelebA-HQ-img" / "0.jpg", 30, 32)
    with pytest.raises(DataError, match=r"0\.jpg: image is 30×32 but its masks are 16×16"):
        load_dataset(f"celebamask-hq:{tmp_path}")[0]


@pytest.mark.parametrize("mode", ["L", "P", "I;16"])
def test_segfolder_modes_and_classes(tmp_path, mode):
    ids = ids_map(12, 10, 5, 0)
    ids[0, 0] = 255  # ignore
    write_image(tmp_path / "images" / "a.png", 10, 12, mode="L")
    write_ids(tmp_path / "labels" / "a.png", ids, mode)
    write_text(tmp_path / "classes.yaml", "- background\n- skin\n- eye\n- mouth\n- hair\n")
    ds = load_dataset(f"segfolder:{tmp_path}")
    np.testing.assert_array_equal(ds[0].mask, ids)
    assert ds.info.mask_classes == ("background", "skin", "eye", "mouth", "hair")
    assert ds[0].image.shape == (12, 10, 3)
    assert load_dataset(f"segfolder:{tmp_path}?classes=lapa11").info.mask_classes == LAPA11
    write_text(tmp_path / "classes.yaml", "- background\n- skin\n- eye\n")
    with pytest.raises(DataError, match=r"a\.png: pixel \(x=\d, y=\d+\) has class id [34], outside the 3 declared"):
        load_dataset(f"segfolder:{tmp_path}")[0]


def test_segfolder_label_smaller_by_integer_factor(tmp_path):
    """CelebAMask-HQ's merged masks are 512² beside 1024² images: the image is resized to the label size (bilinear,
    as CelebAMask-HQ's preprocessing does); a mismatch that is not one integer factor names the label file."""
    from PIL import Image

    ids = ids_map(12, 10, 5, 0)
    big = write_image(tmp_path / "images" / "a.png", 20, 24)
    write_ids(tmp_path / "labels" / "a.png", ids)
    s = load_dataset(f"segfolder:{tmp_path}?classes=celebamask19")[0]
    np.testing.assert_array_equal(s.mask, ids)
    expected = np.asarray(Image.fromarray(big).resize((10, 12), Image.BILINEAR))
    np.testing.assert_array_equal(s.image, expected)
    write_image(tmp_path / "images" / "a.png", 15, 24)
    with pytest.raises(DataError, match=r"a\.png: image is 15×24 but its masks are 10×12"):
        load_dataset(f"segfolder:{tmp_path}?classes=celebamask19")[0]


def test_segfolder_errors(tmp_path):
    from facerep.errors import ConfigError

    write_image(tmp_path / "train" / "images" / "a.jpg")
    write_ids(tmp_path / "train" / "labels" / "a.png", ids_map(24, 32, 3, 1))
    assert len(load_dataset(f"segfolder:{tmp_path}?classes=celebamask19", "train")) == 1
    with pytest.raises(DataError, match="no class names"):
        load_dataset(f"segfolder:{tmp_path}")
    with pytest.raises(ConfigError, match="unknown path option 'klasses'"):
        load_dataset(f"segfolder:{tmp_path}?klasses=lapa11")
    write_image(tmp_path / "train" / "images" / "b.jpg")
    with pytest.raises(DataError, match=r"b\.jpg: no label PNG"):
        load_dataset(f"segfolder:{tmp_path}?classes=lapa11")


def test_helen(tmp_path):
    truth = make_helen(tmp_path, ["100032540_1", "10405146_1", "1030333538_1"])
    write_text(tmp_path / "exemplars.txt", "1 , 100032540_1\n", "\r\n")
    write_text(tmp_path / "tuning.txt", "1 , 10405146_1\n")
    write_text(tmp_path / "testing.txt", "1 , 1030333538_1 \n")
    s = load_dataset(f"helen:{tmp_path}", "test")[0]
    np.testing.assert_array_equal(s.mask, truth["1030333538_1"])
    assert len(load_dataset(f"helen:{tmp_path}")) == 3
    write_text(tmp_path / "tuning.txt", "1 100032540_1\n")
    with pytest.raises(DataError, match=r"tuning\.txt:1: expected '<n> , <image name>'"):
        load_dataset(f"helen:{tmp_path}")
