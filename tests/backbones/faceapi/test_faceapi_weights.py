"""`facerep weights faceapi`: the tarball's integrity, unpacked folders checked file by file, and clear errors
when npm is missing or the registry unreachable. Nothing here downloads: the real tarball comes from the
cache."""
from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile

import pytest

from facerep.backbones.faceapi import weights as W
from facerep.errors import DataError, FacerepError


@pytest.fixture(scope="module")
def cached_tarball(faceapi_cache):
    tgz = W.cache_dir() / W.TARBALL
    if not tgz.is_file():
        pytest.fail(f"{tgz} is missing: run `facerep weights faceapi`", pytrace=False)
    return tgz


def test_tarball_and_folder_sources(tmp_path, cached_tarball):
    pkg = W.fetch_weights(cached_tarball, cache=tmp_path / "a")
    assert pkg == W.package_dir(tmp_path / "a") and (tmp_path / "a" / W.TARBALL).is_file()
    assert sorted(p.name for p in (pkg / "model").iterdir()) == sorted(p.split("/")[1] for p in W.FILES
                                                                      if p.startswith("model/"))
    assert [p.name for p in W.demo_photos(tmp_path / "a")] == [f"sample{i}.jpg" for i in range(1, 7)]
    assert W.sri(cached_tarball) == W.INTEGRITY
    # an unpacked package (its parent folder, as `tar xzf` leaves it) is checked file by file
    copy = tmp_path / "unpacked"
    shutil.copytree(pkg.parent, copy)
    assert (W.fetch_weights(copy, cache=tmp_path / "b") / "model" / "age_gender_model.bin").is_file()
    bin_ = copy / "package" / "model" / "face_recognition_model.bin"
    good = bin_.read_bytes()
    bin_.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(DataError, match=r"unpacked: model/face_recognition_model\.bin differs from the file "
                                        r"of @vladmandic/face-api@1\.7\.15"):
        W.fetch_weights(copy, cache=tmp_path / "c")
    bin_.write_bytes(good)
    (copy / "package" / "demo" / "sample3.jpg").unlink()
    with pytest.raises(DataError, match=r"demo/sample3\.jpg is missing"):
        W.fetch_weights(copy / "package", cache=tmp_path / "c")
    assert not W.in_cache(tmp_path / "c")


def test_wrong_tarball_and_missing_cache(tmp_path):
    fake = tmp_path / W.TARBALL
    with tarfile.open(fake, "w:gz") as tar:
        info = tarfile.TarInfo("package/LICENSE")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"MIT"))
    with pytest.raises(DataError, match=r"integrity mismatch: not the published @vladmandic/face-api@1\.7"):
        W.fetch_weights(fake, cache=tmp_path / "c")
    with pytest.raises(DataError, match="no such file or folder"):
        W.fetch_weights(tmp_path / "nothing.tgz", cache=tmp_path / "c")
    with pytest.raises(FacerepError, match=r"not in the cache .*run `facerep weights faceapi`"):
        W.manifest_path("face_recognition_model", cache=tmp_path / "c")


def test_npm_missing_or_failing_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FacerepError, match=r"npm is not installed.*npm pack @vladmandic/face-api.*--from"):
        W.fetch_weights(cache=tmp_path / "c")
    npm = tmp_path / "npm"  # an npm that cannot reach the registry
    npm.write_text("#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\n"
                   "echo 'npm error network request failed' >&2\nexit 1\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(FacerepError, match=r"`npm pack @vladmandic/face-api@1\.7\.15` failed \(exit 1: "
                                           r"npm error code ENOTFOUND \| npm error network request failed\); "
                                           r"the npm registry may be unreachable\. to install by hand"):
        W.fetch_weights(cache=tmp_path / "c")


def test_cli(tmp_path, monkeypatch, cli, cached_tarball):
    monkeypatch.setenv("FACEREP_CACHE", str(tmp_path))
    code, out, err = cli("backbones")
    assert code == 0 and "faceapi:recognition" in out and "missing" in out and "in cache" not in out
    code, out, err = cli("weights", "faceapi", "--from", cached_tarball)
    assert code == 0 and str(tmp_path / "faceapi" / "1.7.15" / "package") in out.replace("\n", "")
    assert os.path.isfile(tmp_path / "faceapi" / "1.7.15" / "package" / "model" / "age_gender_model.bin")
    code, out, err = cli("backbones")
    assert code == 0 and out.count("in cache") == 5
    code, out, err = cli("weights", "facapi")
    assert code == 2 and "unknown weights family 'facapi'" in err and "Did you mean 'faceapi'" in err
