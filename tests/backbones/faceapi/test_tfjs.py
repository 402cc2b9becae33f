"""The TF.js weights reader on manifests and shards written by the tests."""
from __future__ import annotations

import json

import numpy as np
import pytest

from facerep.backbones.faceapi.tfjs import load_weights, read_manifest, write_weights
from facerep.errors import DataError


def _manifest(tmp_path, weights, paths=("w.bin",), data=b""):
    (tmp_path / paths[0]).write_bytes(data)
    m = tmp_path / "m-weights_manifest.json"
    m.write_text(json.dumps([{"paths": list(paths), "weights": weights}]))
    return m


def test_roundtrip_every_storage(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {"a/f32": rng.normal(size=(3, 3, 2, 4)).astype(np.float32), "b/u8": rng.normal(size=(5, 7)),
               "c/u16": rng.normal(size=(11,)), "d/f16": rng.normal(size=(2, 3)).astype(np.float32),
               "e/i32": np.arange(-3, 5, dtype=np.int32), "f/bool": np.array([True, False, True]),
               "g/scalar": np.float32(2.5)}
    m = write_weights(tmp_path / "net-weights_manifest.json", tensors, shard_bytes=64,
                      quantize={"b/u8": "uint8", "c/u16": "uint16", "d/f16": "float16"})
    assert len(json.loads(m.read_text())[0]["paths"]) > 3  # tensors span several shards
    got = load_weights(m)
    assert list(got) == list(tensors)
    np.testing.assert_array_equal(got["a/f32"], tensors["a/f32"])
    span = np.ptp(tensors["b/u8"])
    assert got["b/u8"].dtype == np.float32
    assert np.abs(got["b/u8"] - tensors["b/u8"]).max() <= span / 255 / 2 + 1e-6
    assert np.abs(got["c/u16"] - tensors["c/u16"]).max() <= np.ptp(tensors["c/u16"]) / 65535 / 2 + 1e-6
    np.testing.assert_array_equal(got["d/f16"], tensors["d/f16"].astype(np.float16).astype(np.float32))
    np.testing.assert_array_equal(got["e/i32"], tensors["e/i32"])
    assert got["f/bool"].dtype == bool and got["f/bool"].tolist() == [True, False, True]
    assert got["g/scalar"].shape == () and got["g/scalar"] == 2.5


def test_dequantisation_is_q_times_scale_plus_min(tmp_path):
    q = np.array([0, 1, 128, 255], np.uint8)

    def spec(name, n, dtype, qd, scale, lo):
        quant = {"dtype": qd, "scale": scale, "min": lo}
        return {"name": name, "shape": [n], "dtype": dtype, "quantization": quant}

    w = [spec("x", 4, "float32", "uint8", 0.1, -1.5), spec("n", 2, "int32", "uint8", 0.5, -2),
         spec("h", 2, "float32", "uint16", 2.0, 1)]
    data = q.tobytes() + np.array([1, 3], np.uint8).tobytes() + np.array([0, 40000], "<u2").tobytes()
    got = load_weights(_manifest(tmp_path, w, data=data))
    np.testing.assert_array_equal(got["x"], (q.astype(np.float64) * 0.1 - 1.5).astype(np.float32))
    assert got["n"].tolist() == [-1, -0]  # Math.round(-1.5) = -1, Math.round(-0.5) = -0: halves round up
    assert got["h"].tolist() == [1.0, 80001.0]


def test_truncated_bin_names_the_tensor_it_ends_in(tmp_path):
    w = [{"name": name, "shape": shape, "dtype": "float32"}
         for name, shape in (("first", [4]), ("second/filters", [3, 3]), ("third", [2]))]
    m = _manifest(tmp_path, w, data=b"\0" * (16 + 20))
    with pytest.raises(DataError, match=r"w\.bin: truncated: the file ends inside tensor 'second/filters' "
                                        r"\(bytes 16\.\.52 of its group; the shards hold 36\)"):
        load_weights(m)


def test_truncated_second_shard_is_named(tmp_path):
    w = [{"name": "a", "shape": [8], "dtype": "float32"}, {"name": "b", "shape": [8], "dtype": "float32"}]
    (tmp_path / "s2.bin").write_bytes(b"\0" * 8)
    m = _manifest(tmp_path, w, paths=("s1.bin", "s2.bin"), data=b"\0" * 32)
    with pytest.raises(DataError, match=r"s2\.bin: truncated: the file ends inside tensor 'b'"):
        load_weights(m)


def test_bytes_past_the_last_tensor(tmp_path):
    m = _manifest(tmp_path, [{"name": "a", "shape": [2], "dtype": "float32"}], data=b"\0" * 12)
    with pytest.raises(DataError, match=r"w\.bin: 4 bytes past the last tensor 'a'"):
        load_weights(m)


@pytest.mark.parametrize("entry, message", [
    ({"name": "t/x", "shape": [2], "dtype": "complex64"}, r"tensor 't/x': unknown dtype 'complex64'"),
    ({"name": "t/x", "shape": [2], "dtype": "float32", "quantization": {"dtype": "int4"}},
     r"tensor 't/x': unknown quantization dtype 'int4'"),
    ({"name": "t/x", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 1}},
     r"tensor 't/x': uint8 quantization without a numeric min"),
    ({"name": "t/x", "shape": [2, -1], "dtype": "float32"}, r"tensor 't/x': shape must be a list"),
    ({"shape": [2], "dtype": "float32"}, r"weight entry 0 has no name"),
])
def test_bad_entries_name_file_and_tensor(tmp_path, entry, message):
    m = _manifest(tmp_path, [entry], data=b"\0" * 8)
    with pytest.raises(DataError, match=r"m-weights_manifest\.json: " + message):
        load_weights(m)


def test_duplicate_missing_and_corrupt_manifests(tmp_path):
    w = [{"name": "a", "shape": [1], "dtype": "float32"}] * 2
    with pytest.raises(DataError, match="tensor 'a' is declared twice"):
        read_manifest(_manifest(tmp_path, w, data=b"\0" * 8))
    m = tmp_path / "bad-weights_manifest.json"
    m.write_text('[{"paths": ["w.bin"],\n "weights": [}]')
    with pytest.raises(DataError, match=r"bad-weights_manifest\.json:2: not a JSON weights manifest"):
        load_weights(m)
    m.write_text(json.dumps({"paths": []}))
    with pytest.raises(DataError, match="non-empty JSON list"):
        load_weights(m)
    one = [{"name": "a", "shape": [1], "dtype": "float32"}]
    m.write_text(json.dumps([{"paths": ["nowhere.bin"], "weights": one}]))
    with pytest.raises(DataError, match=r"nowhere\.bin: cannot read the weights shard nowhere\.bin listed in "
                                        r"bad-weights_manifest\.json"):
        load_weights(m)
    with pytest.raises(DataError, match=r"absent-weights_manifest\.json: cannot read the weights manifest"):
        load_weights(tmp_path / "absent-weights_manifest.json")
