"""Writers of the fixtures of the AU, expression, recognition, attribute, pre-training and manifest formats (see
:mod:`format_fixtures`, which re-exports them and holds the table of writers)."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import h5py
import numpy as np
from formats_util import write_image, write_text
from PIL import Image

from facerep.data.vocab import DISFA_AUS

SIDE = 32  # images of the bench fixtures are SIDE×SIDE


def _points(rng: np.random.Generator, k: int, lo: float = 2.0, hi: float = SIDE - 3.0) -> np.ndarray:
    return rng.uniform(lo, hi, (k, 2)).round(3)


# ------------------------------------------------------------------------------------------------ action units
def make_disfa(root: Path, subjects=("SN001", "SN002"), n_frames: int = 4, side: int = 8) -> dict[str, np.ndarray]:
    """ActionUnit_Labels/<SN>/<SN>_au<k>.txt (frame,intensity; the first AU file CRLF) + Images/<SN>/<frame>.png
    for all but the last labelled frame; subject -> intensities [frames, 12]."""
    truth = {}
    for s, subj in enumerate(subjects):
        inten = np.random.default_rng(s).integers(0, 6, (n_frames, len(DISFA_AUS)))
        for a, au in enumerate(DISFA_AUS):
            text = "".join(f"{f + 1},{inten[f, a]}\n" for f in range(n_frames))
            write_text(root / "ActionUnit_Labels" / subj / f"{subj}_au{au}.txt", text, "\r\n" if a == 0 else "\n")
        for f in range(n_frames - 1):  # the last labelled frame was not extracted
            write_image(root / "Images" / subj / f"{f + 1:05d}.png", side, side, seed=f)
        truth[subj] = inten
    return truth


def write_disfa(root: Path, n: int = 4) -> str:
    make_disfa(root, tuple(f"SN{k + 1:03d}" for k in range(n)), 5, SIDE)
    return f"disfa:{root}"


def bp4d_csv(codes, rows) -> str:
    return ",".join(["0"] + [str(c) for c in codes]) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)


def write_bp4d(root: Path, n: int = 4, frames: int = 4) -> str:
    """AUCoding/AU_OCC/<subject>_T1.csv (FERA 2015 columns AU1..AU39, CRLF) + 2DFrames/<subject>/T1/<frame>.jpg."""
    codes = list(range(1, 40))
    for s in range(n):
        subject = f"{'FM'[s % 2]}{s + 1:03d}"
        occ = np.random.default_rng(s).integers(0, 2, (frames, len(codes)))
        rows = [[2440 + f] + list(occ[f]) for f in range(frames)]
        write_text(root / "AUCoding" / "AU_OCC" / f"{subject}_T1.csv", bp4d_csv(codes, rows), "\r\n")
        for f in range(frames):
            write_image(root / "2DFrames" / subject / "T1" / f"{2440 + f}.jpg", SIDE, SIDE, seed=s * 100 + f)
    return f"bp4d:{root}"


# ------------------------------------------------------------------------------------------------ expression
AFFECTNET_HEADER = ("subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,"
                    "valence,arousal\n")


def affectnet_row(rel: str, code: int, lm: np.ndarray, va=(0.5, -0.25), box=(2, 3, 20, 18)) -> str:
    return f"{rel},{box[0]},{box[1]},{box[2]},{box[3]},{';'.join(f'{v:.2f}' for v in lm.reshape(-1))},{code}," \
           f"{va[0]},{va[1]}\n"


def write_affectnet(root: Path, n: int = 8) -> str:
    """Manually_Annotated_file_lists/{training,validation}.csv (+ a no-face row) over Manually_Annotated_Images/."""
    rng = np.random.default_rng(7)
    lists = root / "Manually_Annotated_file_lists"
    for s, (split, name) in enumerate((("train", "training.csv"), ("val", "validation.csv"))):
        rows = []
        for k in range(n):
            rel = f"689/{split}{k}.jpg"
            write_image(root / "Manually_Annotated_Images" / rel, SIDE, SIDE, seed=s * 100 + k)
            rows.append(affectnet_row(rel, k % 4, _points(rng, 68), tuple(rng.uniform(-1, 1, 2).round(3)),
                                      box=(1, 1, SIDE - 3, SIDE - 3)))
        rows.append(affectnet_row("689/none.jpg", 10, _points(rng, 68), (-2, -2)))
        write_text(lists / name, AFFECTNET_HEADER + "".join(rows), "\r\n")
    return f"affectnet:{root}"


def write_rafdb(root: Path, n: int = 8) -> str:
    """basic/EmoLabel/list_patition_label.txt (labels 1..7, CRLF) + basic/Image/aligned/<name>_aligned.jpg."""
    basic = root / "basic"
    names = [f"train_{k + 1:05d}" for k in range(n)] + [f"test_{k + 1:04d}" for k in range(n)]
    lines = "".join(f"{nm}.jpg {k % 3 + 1}\n" for k, nm in enumerate(names))
    write_text(basic / "EmoLabel" / "list_patition_label.txt", lines, "\r\n")
    for k, nm in enumerate(names):
        write_image(basic / "Image" / "aligned" / f"{nm}_aligned.jpg", SIDE, SIDE, seed=k)
    return f"rafdb:{root}"


def write_fer2013(root: Path, n: int = 8) -> str:
    """fer2013.csv: emotion, 48×48 pixel string, Usage (Training / PublicTest / PrivateTest), CRLF."""
    rng = np.random.default_rng(8)
    rows = []
    for usage in ("Training", "PublicTest", "PrivateTest"):
        for k in range(n):
            rows.append(f"{k % 3},{' '.join(map(str, rng.integers(0, 256, 48 * 48)))},{usage}\n")
    write_text(root / "fer2013.csv", "emotion,pixels,Usage\n" + "".join(rows), "\r\n")
    return f"fer2013:{root}"


def ck_file(root: Path, kind: str, subj: str, seq: str, frame: int, suffix: str, text: str) -> None:
    write_text(root / kind / subj / seq / f"{subj}_{seq}_{frame:08d}_{suffix}.txt", text)


def ck_landmarks(pts: np.ndarray) -> str:
    return "".join(f"   {x:.7e}   {y:.7e}\n" for x, y in pts)


def write_ckplus(root: Path, n: int = 6, frames: int = 3) -> str:
    """``n`` subjects with one sequence each: frames, Landmarks, FACS of the peak, Emotion (codes 1..3)."""
    rng = np.random.default_rng(9)
    for s in range(n):
        subj, seq = f"S{s + 5:03d}", "001"
        for f in range(1, frames + 1):
            write_image(root / "cohn-kanade-images" / subj / seq / f"{subj}_{seq}_{f:08d}.png", SIDE, SIDE,
                        mode="L", seed=s * 100 + f)
            ck_file(root, "Landmarks", subj, seq, f, "landmarks", ck_landmarks(_points(rng, 68)))
        ck_file(root, "FACS", subj, seq, frames, "facs", f"   1.0000000e+00   0.0000000e+00\n"
                f"   {4 + s % 3:.7e}   3.0000000e+00\n")
        ck_file(root, "Emotion", subj, seq, frames, "emotion", f"   {s % 3 + 1:.7e}\n")
    return f"ckplus:{root}"


# ------------------------------------------------------------------------------------------------ recognition
def write_imagefolder(root: Path, n: int = 6, per_class: int = 3, label: str = "identity") -> str:
    """One folder per class (identities, or expression names with ``label="expression"``); PNG, PGM and GIF."""
    names = [f"person_{k:02d}" for k in range(n)] if label == "identity" else \
        ["happy", "sad", "angry", "neutral", "surprise", "fear"][:n]
    exts = (".png", ".pgm", ".gif", ".jpg")
    for c, name in enumerate(names):
        for k in range(per_class):
            ext = exts[(c + k) % len(exts)]
            write_image(root / name / f"{k}{ext}", SIDE, SIDE, mode={".pgm": "L", ".gif": "P"}.get(ext, "RGB"),
                        seed=c * 100 + k)
    return f"imagefolder:{root}" + ("?label=expression" if label == "expression" else "")


def write_pairs(root: Path, n: int = 8, per_id: int = 4) -> str:
    """LFW: lfw/<name>/<name>_<nnnn>.jpg + pairs.txt (one fold: every matched pair, then as many mismatched ones,
    spread over every pair of identities), CRLF."""
    names = [f"Person_{chr(65 + k)}" for k in range(n)]
    for k, name in enumerate(names):
        for j in range(1, per_id + 1):
            write_image(root / "lfw" / name / f"{name}_{j:04d}.jpg", SIDE, SIDE, seed=k * 100 + j)
    matched = [f"{nm}\t{a}\t{b}" for nm in names for a in range(1, per_id + 1) for b in range(a + 1, per_id + 1)]
    mism = [f"{x}\t{a}\t{y}\t{a}" for a in range(1, per_id + 1) for i, x in enumerate(names) for y in names[i + 1:]]
    m = min(len(matched), len(mism))
    mism = [mism[round(k * len(mism) / m)] for k in range(m)]
    write_text(root / "pairs.txt", f"1\t{m}\n" + "\n".join(matched[:m] + mism) + "\n", "\r\n")
    return f"pairs:{root}"


CELEBA_ATTRS = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
    "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
    "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
    "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
    "Wearing_Necktie", "Young",
)


def make_celeba(root: Path, files: list[str], vals: np.ndarray, landmarks: np.ndarray, ids: list[int],
                parts: list[int], side: tuple[int, int] = (18, 22)) -> None:
    """Anno/list_attr_celeba.txt (CRLF, trailing space after the names), list_landmarks_align_celeba.txt,
    identity_CelebA.txt, Eval/list_eval_partition.txt, Img/img_align_celeba/. vals: ±1 [N, 40]."""
    rows = "".join(f"{f} " + " ".join(f"{v:2d}" for v in row) + "\n" for f, row in zip(files, vals))
    write_text(root / "Anno" / "list_attr_celeba.txt",
               f"{len(files)}\n" + " ".join(CELEBA_ATTRS) + " \n" + rows, "\r\n")
    write_text(root / "Anno" / "list_landmarks_align_celeba.txt",
               f"{len(files)}\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
               "rightmouth_x rightmouth_y\n" + "".join(f"{f}" + "".join(f"{v:>5d}" for v in r) + "\n"
                                                       for f, r in zip(files, landmarks)))
    write_text(root / "Anno" / "identity_CelebA.txt", "".join(f"{f} {i}\n" for f, i in zip(files, ids)))
    write_text(root / "Eval" / "list_eval_partition.txt", "".join(f"{f} {p}\n" for f, p in zip(files, parts)))
    for k, f in enumerate(files):
        write_image(root / "Img" / "img_align_celeba" / f, side[0], side[1], seed=k)


def write_celeba(root: Path, n: int = 6, per_id: int = 2) -> str:
    """``n`` identities × ``per_id`` images; identities alternate between the train and test partitions."""
    rng = np.random.default_rng(10)
    m = n * per_id
    files = [f"{k + 1:06d}.jpg" for k in range(m)]
    ids = [1000 + k // per_id for k in range(m)]
    parts = [0 if (k // per_id) % 2 == 0 else 2 for k in range(m)]
    vals = rng.choice([-1, 1], (m, 40))
    make_celeba(root, files, vals, rng.integers(4, SIDE - 4, (m, 10)), ids, parts, (SIDE, SIDE))
    return f"celeba:{root}"


# ------------------------------------------------------------------------------------------------ pre-training
def png_bytes(seed: int, size=(12, 10)) -> tuple[bytes, np.ndarray]:
    arr = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue(), arr


def write_frl_hdf5(root: Path, n: int = 8) -> str:
    """faces.h5 with the encoded PNGs under 'images' (variable-length uint8)."""
    root.mkdir(parents=True, exist_ok=True)
    with h5py.File(root / "faces.h5", "w") as f:
        d = f.create_dataset("images", (n,), dtype=h5py.vlen_dtype(np.uint8))
        for k in range(n):
            d[k] = np.frombuffer(png_bytes(k, (SIDE, SIDE))[0], dtype=np.uint8)
    return f"frl-hdf5:{root}"


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_webdataset(root: Path, n: int = 8, shards: int = 2) -> str:
    """faces-00000k.tar shards of <key>.png + <key>.json ({"identity": …})."""
    root.mkdir(parents=True, exist_ok=True)
    for shard in range(shards):
        with tarfile.open(root / f"faces-{shard:06d}.tar", "w") as tar:
            for k in range(n // shards):
                add_member(tar, f"s{shard}/{k:04d}.png", png_bytes(shard * 100 + k, (SIDE, SIDE))[0])
                add_member(tar, f"s{shard}/{k:04d}.json", json.dumps({"identity": k % 3}).encode())
    return f"webdataset:{root}"


def write_manifest(root: Path, n: int = 24, ids: int = 6) -> str:
    """manifest.parquet as ``facerep curate`` writes it: crop (relative path), crop_landmarks (5 × x, y), identity
    (``ids`` of them, in turn), video, frame (-1 = still image)."""
    import pandas as pd

    rng = np.random.default_rng(11)
    for k in range(n):
        write_image(root / "crops" / f"{k:06d}.png", SIDE, SIDE, seed=k)
    df = pd.DataFrame({"crop": [f"crops/{k:06d}.png" for k in range(n)],
                       "crop_landmarks": [list(_points(rng, 5).reshape(-1)) for _ in range(n)],
                       "identity": [k % ids for k in range(n)], "video": [""] * n, "frame": [-1] * n})
    df.to_parquet(root / "manifest.parquet", index=False)
    return f"manifest:{root}"
