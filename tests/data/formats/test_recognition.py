"""imagefolder, pairs (LFW pairs.txt and CSV), celeba against fixtures in their official layouts."""
from __future__ import annotations

import numpy as np
import pytest
from format_fixtures import CELEBA_ATTRS, make_celeba
from formats_util import write_image, write_text

from facerep.data.formats import load_dataset
from facerep.errors import ConfigError, DataError


def test_imagefolder_identity_any_image_type(tmp_path):
    write_image(tmp_path / "alice" / "1.pgm", mode="L")
    write_image(tmp_path / "alice" / "sub" / "2.gif", mode="P")
    write_image(tmp_path / "bob" / "1.jpg")
    write_image(tmp_path / "bob" / "2.png", mode="P")
    (tmp_path / "bob" / "notes.txt").write_text("not an image")
    ds = load_dataset(f"imagefolder:{tmp_path}")
    assert [ds.labels(i)["identity"] for i in range(4)] == [0, 0, 1, 1]
    assert ds.info.extra["classes"] == ["alice", "bob"] and ds.info.provides == {"identity"}
    for i in range(4):
        assert ds[i].image.shape == (24, 32, 3) and ds[i].image.dtype == np.uint8
    g = ds[0].image
    assert (g[..., 0] == g[..., 1]).all()  # grey PGM replicated to RGB
    with pytest.raises(ConfigError, match="label='age'"):
        load_dataset(f"imagefolder:{tmp_path}?label=age")


def test_imagefolder_expression_splits(tmp_path):
    write_image(tmp_path / "train" / "Happy" / "1.jpg")
    write_image(tmp_path / "train" / "angry" / "1.jpg")
    write_image(tmp_path / "test" / "neutral" / "1.jpg")
    ds = load_dataset(f"imagefolder:{tmp_path}?label=expression", "train")
    assert sorted(ds.info.expression_classes[ds.labels(i)["expression"]] for i in range(2)) == ["anger", "happiness"]
    assert len(load_dataset(f"imagefolder:{tmp_path}?label=expression")) == 3
    write_image(tmp_path / "test" / "bored" / "1.jpg")
    with pytest.raises(DataError, match=r"bored: folder name 'bored' is not an expression"):
        load_dataset(f"imagefolder:{tmp_path}?label=expression")


def test_pairs_lfw(tmp_path):
    for name, n in (("Aaron_Peirsol", 2), ("Abel_Pacheco", 1), ("Zico", 3)):
        for k in range(1, n + 1):
            write_image(tmp_path / "lfw" / name / f"{name}_{k:04d}.jpg", 16, 16, seed=k)
    text = ("2\t1\n"
            "Aaron_Peirsol\t1\t2\nAbel_Pacheco\t1\tZico\t3\n"
            "Zico\t1\t3\nAaron_Peirsol\t2\tZico\t1\n")
    write_text(tmp_path / "pairs.txt", text, "\r\n")
    ds = load_dataset(f"pairs:{tmp_path}")
    pairs = ds.info.extra["pairs"]
    assert len(ds) == 5 and pairs["same"].tolist() == [True, False, True, False]
    assert pairs["fold"].tolist() == [0, 0, 1, 1]
    i, j = pairs["i"][1], pairs["j"][1]
    assert ds[i].path.endswith("Abel_Pacheco/Abel_Pacheco_0001.jpg") and ds[j].path.endswith("Zico/Zico_0003.jpg")
    ids = [ds.labels(k)["identity"] for k in range(len(ds))]
    assert all(ids[a] == ids[b] for a, b, s in zip(pairs["i"], pairs["j"], pairs["same"]) if s)
    assert all(ids[a] != ids[b] for a, b, s in zip(pairs["i"], pairs["j"], pairs["same"]) if not s)
    write_text(tmp_path / "pairs.txt", text.replace("Zico\t1\t3", "Zico\t1"))
    with pytest.raises(DataError, match=r"pairs\.txt:4: expected 'name n1 n2' \(matched pair\), found 2 fields"):
        load_dataset(f"pairs:{tmp_path / 'pairs.txt'}")
    write_text(tmp_path / "pairs.txt", "10\t300\n" + text.split("\n", 1)[1])
    with pytest.raises(DataError, match=r"pairs\.txt:1: header promises 10 folds × 300"):
        load_dataset(f"pairs:{tmp_path}")


def test_pairs_csv(tmp_path):
    write_image(tmp_path / "a.jpg")
    write_image(tmp_path / "b.jpg", seed=1)
    csv = write_text(tmp_path / "p.csv", "file_x,file_y,same\na.jpg,b.jpg,0\nb.jpg,a.jpg,1\na.jpg,a.jpg,true\n")
    ds = load_dataset(f"pairs:{csv}")
    pairs = ds.info.extra["pairs"]
    assert len(ds) == 2 and pairs["i"].tolist() == [0, 1, 0] and pairs["j"].tolist() == [1, 0, 0]
    assert pairs["same"].tolist() == [False, True, True] and ds.info.provides == frozenset()
    write_text(csv, "file_x,file_y\na.jpg,b.jpg\n")
    with pytest.raises(DataError, match=r"p\.csv:1: CSV header lacks column\(s\) same"):
        load_dataset(f"pairs:{csv}")
    write_text(csv, "file_x,file_y,same\na.jpg,missing.jpg,1\n")
    with pytest.raises(DataError, match=r"missing\.jpg: image file does not exist \(listed at .*p\.csv:2\)"):
        load_dataset(f"pairs:{csv}")[1]


def test_celeba(tmp_path):
    rng = np.random.default_rng(0)
    vals = rng.choice([-1, 1], (3, 40))
    files = ["000001.jpg", "000002.jpg", "000003.jpg"]
    lm = rng.integers(60, 160, (3, 10))
    make_celeba(tmp_path, files, vals, lm, [2880, 2937, 8692], [0, 1, 2])
    ds = load_dataset(f"celeba:{tmp_path}", "test")
    s = ds[0]
    assert ds.info.attribute_names == CELEBA_ATTRS and s.identity == 8692 and s.image.shape == (22, 18, 3)
    np.testing.assert_array_equal(s.attributes, (vals[2] > 0).astype(np.float32))
    np.testing.assert_array_equal(s.landmarks2d, lm[2].reshape(5, 2))
    assert ds.info.provides == {"attributes", "identity", "landmarks2d"} and ds.info.landmark_scheme == "5"
    assert len(load_dataset(f"celeba:{tmp_path}")) == 3
    attr = tmp_path / "Anno" / "list_attr_celeba.txt"
    lines = attr.read_bytes().decode().split("\r\n")
    lines[1] = " ".join(CELEBA_ATTRS[:39])
    write_text(attr, "\n".join(lines))
    with pytest.raises(DataError, match=r"list_attr_celeba\.txt:2: header has 39 names; expected 40"):
        load_dataset(f"celeba:{tmp_path}")
