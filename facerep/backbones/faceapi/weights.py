"""The face-api weights in facerep's cache: ``facerep weights faceapi [--from PATH]``.

The npm package ``@vladmandic/face-api@1.7.15`` (MIT licence) is fetched with ``npm pack`` (or given as a
tarball or an unpacked folder), checked, and unpacked into ``$FACEREP_CACHE/faceapi/1.7.15/`` (default
``~/.cache/facerep/faceapi/1.7.15/``)::

    vladmandic-face-api-1.7.15.tgz   the tarball, checked against the registry's sha512 integrity
    package/model/*                  TF.js manifests + shards of the 7 networks
    package/demo/sample1..6.jpg      the package's demo photographs (real faces)
    package/LICENSE, package.json

Every unpacked file is also checked against its sha256 (``FILES``, taken from the verified tarball), so an
unpacked folder given with ``--from`` is checked too. Nothing here runs at import or test time: only the
command downloads.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ...errors import DataError, FacerepError
from ._net import PACKAGE, VERSION

TARBALL = f"vladmandic-face-api-{VERSION}.tgz"
INTEGRITY = "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="
FILES = {  # path inside the package -> sha256 (from the tarball with the integrity above)
    "model/age_gender_model-weights_manifest.json":
        "74b60bf3ebf981bf4e661e9cca3a185614e10b25d797118b62e2a68d3ff2569f",
    "model/age_gender_model.bin": "49f92bbc0afef2342c4385e4a2b0acb6d7a727c6f0aa539499719a81acf9abaa",
    "model/face_expression_model-weights_manifest.json":
        "5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8",
    "model/face_expression_model.bin": "9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d",
    "model/face_landmark_68_model-weights_manifest.json":
        "ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9",
    "model/face_landmark_68_model.bin": "4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b",
    "model/face_landmark_68_tiny_model-weights_manifest.json":
        "9a1a5dd19fd814fd5095c3cb58f8e0d3193b8c5b9a6715b30a69d559aea31ad4",
    "model/face_landmark_68_tiny_model.bin":
        "b98e9f2f7da76f8a6dda9741a36ed485b224b889d552de2b2c1bb16217f67bfc",
    "model/face_recognition_model-weights_manifest.json":
        "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
    "model/face_recognition_model.bin": "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
    "model/ssd_mobilenetv1_model-weights_manifest.json":
        "888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955",
    "model/ssd_mobilenetv1_model.bin": "2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8",
    "model/tiny_face_detector_model-weights_manifest.json":
        "5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5",
    "model/tiny_face_detector_model.bin": "b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871",
    "demo/sample1.jpg": "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
    "demo/sample2.jpg": "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691",
    "demo/sample3.jpg": "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
    "demo/sample4.jpg": "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
    "demo/sample5.jpg": "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
    "demo/sample6.jpg": "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
    "LICENSE": "9a3442b79acaf4fbc7c2e07b7e2d8f84af9bb3871bf08a69d80304ab00640e9a",
}
EXTRA_FILES = ("package.json",)  # unpacked too, not hashed
DEMO_PHOTOS = tuple(f"demo/sample{i}.jpg" for i in range(1, 7))
MANUAL = (f"to install by hand: on a machine with npm and the registry, run `npm pack {PACKAGE}@{VERSION}` "
          f"(or download https://registry.npmjs.org/@vladmandic/face-api/-/face-api-{VERSION}.tgz), copy "
          f"{TARBALL} here and run `facerep weights faceapi --from {TARBALL}`")


def cache_dir() -> Path:
    """``$FACEREP_CACHE/faceapi/<version>``, else ``~/.cache/facerep/faceapi/<version>``."""
    env = os.environ.get("FACEREP_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "facerep"
    return root / "faceapi" / VERSION


def package_dir(cache: str | Path | None = None) -> Path:
    """The unpacked package in the cache; raises a :class:`FacerepError` saying how to get it if absent."""
    pkg = Path(cache or cache_dir()) / "package"
    if not (pkg / ".complete").is_file():
        raise FacerepError(f"the face-api weights are not in the cache ({pkg}): run `facerep weights "
                           f"faceapi` (fetches {PACKAGE}@{VERSION} with npm), or set FACEREP_CACHE to a "
                           "cache that has them")
    return pkg


def manifest_path(stem: str, cache: str | Path | None = None) -> Path:
    """The cached ``<stem>-weights_manifest.json``."""
    return package_dir(cache) / "model" / f"{stem}-weights_manifest.json"


def demo_photos(cache: str | Path | None = None) -> list[Path]:
    """The package's six demo photographs (real faces), from the cache."""
    return [package_dir(cache) / p for p in DEMO_PHOTOS]


def in_cache(cache: str | Path | None = None) -> bool:
    return (Path(cache or cache_dir()) / "package" / ".complete").is_file()


def sri(path: Path) -> str:
    """The subresource-integrity string (``sha512-<base64>``) npm publishes for a tarball."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _npm_pack(dest: Path) -> Path:
    """``npm pack PACKAGE@VERSION`` into ``dest``; clear errors without npm or the registry."""
    npm = shutil.which("npm")
    if npm is None:
        raise FacerepError(f"npm is not installed (it fetches {PACKAGE}@{VERSION}); install Node.js/npm, or "
                           + MANUAL)
    cmd = [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(dest), "--silent"]
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise FacerepError(f"`npm pack {PACKAGE}@{VERSION}` did not finish in 10 minutes (registry "
                           "unreachable?); " + MANUAL) from None
    tarball = dest / TARBALL
    if proc.returncode != 0 or not tarball.is_file():
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])[:400]
        raise FacerepError(f"`npm pack {PACKAGE}@{VERSION}` failed (exit {proc.returncode}: "
                           f"{tail or 'no output'}); the npm registry may be unreachable. " + MANUAL)
    return tarball


def _unpack(tarball: Path, dest: Path) -> None:
    """Extract the files facerep uses (``FILES``, ``EXTRA_FILES``) from ``package/`` of ``tarball``."""
    wanted = {f"package/{p}" for p in (*FILES, *EXTRA_FILES)}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
            if hasattr(tarfile, "data_filter"):  # names are whitelisted; the filter where Python has it
                tar.extractall(dest, members=members, filter="data")
            else:
                tar.extractall(dest, members=members)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DataError(f"cannot unpack the tarball ({e})", str(tarball)) from None


def _check_files(pkg: Path, origin: Path) -> None:
    for rel, digest in FILES.items():
        f = pkg / rel
        if not f.is_file():
            raise DataError(f"{rel} is missing: not an unpacked {PACKAGE}@{VERSION}", str(origin))
        if _sha256(f) != digest:
            raise DataError(f"{rel} differs from the file of {PACKAGE}@{VERSION} (sha256 mismatch)",
                            str(origin))


def fetch_weights(source: str | Path | None = None, *, cache: str | Path | None = None) -> Path:
    """Put the package into the cache; returns the cached ``package`` folder.

    ``source``: None runs ``npm pack``; a ``.tgz`` is checked against ``INTEGRITY``; a folder is an unpacked
    package (holding ``model/`` or ``package/model/``) whose files are checked against ``FILES``."""
    root = Path(cache or cache_dir())
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".faceapi-", dir=root) as tmp_name:
        tmp = Path(tmp_name)
        src = Path(source).expanduser() if source is not None else None
        if src is not None and src.is_dir():
            pkg = src / "package" if (src / "package" / "model").is_dir() else src
            _check_files(pkg, src)
            staged = tmp / "package"
            for rel in (*FILES, *EXTRA_FILES):
                if (pkg / rel).is_file():
                    (staged / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(pkg / rel, staged / rel)
        else:
            if src is not None and not src.is_file():
                raise DataError("no such file or folder", str(src))
            tarball = src if src is not None else _npm_pack(tmp)
            got = sri(tarball)
            if got != INTEGRITY:
                raise DataError(f"integrity mismatch: not the published {PACKAGE}@{VERSION} tarball "
                                f"(expected {INTEGRITY}, got {got})", str(tarball))
            _unpack(tarball, tmp)
            _check_files(tmp / "package", tarball)
            if tarball != tmp / TARBALL:
                shutil.copyfile(tarball, tmp / TARBALL)
        stamp = {"package": f"{PACKAGE}@{VERSION}", "integrity": INTEGRITY, "from": str(src or "npm")}
        (tmp / "package" / ".complete").write_text(json.dumps(stamp))
        _replace(tmp, root)
    return root / "package"


def _replace(staged: Path, root: Path) -> None:
    """Move the staged files over the cache's (the old package folder is removed first)."""
    if (root / "package").exists():
        shutil.rmtree(root / "package")
    os.replace(staged / "package", root / "package")
    if (staged / TARBALL).is_file():
        os.replace(staged / TARBALL, root / TARBALL)
