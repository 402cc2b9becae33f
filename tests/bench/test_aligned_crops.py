"""Aligned crops and mirrored training crops for the tasks of facial motion (expression, AUs)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from facerep.bench.api import bench, make_config
from facerep.bench.prepare import prepare, prepare_views
from facerep.bench.settings import ViewSettings, settings_from
from facerep.bench.sources import crop_view
from facerep.bench.tasks import get_task
from facerep.bench.tasks._base import Task, TaskSettings
from facerep.curate.align import template
from facerep.data.formats import load_dataset
from facerep.data.transforms import five_points
from facerep.errors import ConfigError
from tests.bench.conftest import TINY_SYNTH

N_TINY = 60  # faces of TINY_SYNTH


class _SomeWithoutLandmarks(torch.utils.data.Dataset):
    """TINY_SYNTH with the 2D landmarks of every third face removed."""

    def __init__(self) -> None:
        self.base = load_dataset(TINY_SYNTH)
        self.info = self.base.info

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        s = self.base[i]
        return dataclasses.replace(s, landmarks2d=None) if i % 3 == 0 else s


def _task(name: str, cfg) -> Task:
    return get_task(name)(settings_from(cfg, TaskSettings))


def test_tasks_of_facial_motion_read_aligned_crops_and_the_others_box_crops():
    cfg = make_config({})
    for name in ("expression", "au", "au_occurrence"):
        view = crop_view(settings_from(cfg, ViewSettings), _task(name, cfg))
        assert view.aligned and view.strides == (4,) and view.global_grid == cfg.aligned_grid
    for name in ("landmarks2d", "landmarks3d", "parsing", "pose", "recognition", "attributes"):
        assert not crop_view(settings_from(cfg, ViewSettings), _task(name, cfg)).aligned, name
    off = make_config({"align": "off"})
    assert not crop_view(settings_from(off, ViewSettings), _task("expression", off)).aligned


def test_prepare_aligns_faces_onto_the_template_and_counts_those_it_cannot():
    ds = _SomeWithoutLandmarks()
    p = prepare(ds, "tiny", size=32, margin=0.2, align=0.0)
    assert p.unaligned == N_TINY // 3 and len(p) == N_TINY
    aligned = [c for i, c in enumerate(p.crops) if i % 3]
    err = np.stack([np.linalg.norm(five_points(c.landmarks2d) - template(32), axis=1) for c in aligned])
    assert err[:, :2].max() < 1.5 and err.max() < 4.0  # eyes (weighted) on the template; mouths vary by expression
    assert np.median(err) < 1.5
    box = prepare(ds, "tiny", size=32, margin=0.2)
    assert box.unaligned == 0 and box.digest != p.digest
    assert np.array_equal(p.crops[0].image, box.crops[0].image)  # no landmarks: the box crop


def test_bench_encodes_aligned_and_mirrored_crops_once_and_notes_unaligned_faces(tmp_path):
    opts = dict(image_size=32, fractions=[1.0], seeds=[0], cache_dir=str(tmp_path / "a"), batch_size=32,
                tasks=["expression", "au", "landmarks2d"], landmarker="none")
    df, result = bench(make_config(opts), data=_SomeWithoutLandmarks(), write=False)
    assert set(df.task) == {"expression", "au", "landmarks2d"}
    assert any(f"{N_TINY // 3} face(s) without 5 alignment points" in n for n in result.notes)
    # box crops (landmarks2d), aligned crops, and the mirror images of the training faces (expression and au share
    # them: one identity-disjoint split)
    n_train = df[(df.task == "expression") & (df["mode"] == "linear")]["n_train"].iloc[0]
    assert n_train < N_TINY and result.forwarded == 2 * N_TINY + n_train
    df_off, result_off = bench(make_config(dict(opts, align="off", mirror=False, cache_dir=str(tmp_path / "b"))),
                               data=_SomeWithoutLandmarks(), write=False)
    assert result_off.forwarded == N_TINY and not any("alignment" in n for n in result_off.notes)
    a = df[(df.task == "expression") & (df["mode"] == "linear")].set_index("metric")["value"]
    b = df_off[(df_off.task == "expression") & (df_off["mode"] == "linear")].set_index("metric")["value"]
    assert not np.allclose(a.loc["ccc_valence"], b.loc["ccc_valence"])  # other inputs, other fit
    lm = [d[(d.task == "landmarks2d") & (d["mode"] == "linear")].set_index("metric")["value"] for d in (df, df_off)]
    assert np.allclose(lm[0], lm[1])  # the geometric task is untouched


def test_bad_align_settings_are_refused():
    with pytest.raises(ConfigError, match="align 'yes' is not one of auto, off"):
        bench(make_config(dict(align="yes", synth=TINY_SYNTH)), write=False)
    with pytest.raises(ConfigError, match="align_margin >= 0"):
        bench(make_config(dict(align_margin=-0.1, synth=TINY_SYNTH)), write=False)


def test_expression_penalty_criterion_is_the_held_out_error_rate():
    task = _task("expression", make_config({}))
    task.n, task.va = 3, False
    y = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [float("nan")] * 3])
    pred = torch.tensor([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.0, 0.2, 0.8], [0.0, 0.0, 1.0]])
    held = task.cv_loss(y, pred)
    assert held.loss == pytest.approx(1 / 3)  # one of the three labelled rows wrong; NaN row unscored
    assert held.baseline == float("inf")  # balanced classes: no majority to fall back on
    y2 = torch.tensor([[1, 0, 0], [1, 0, 0], [0, 0, 1]])
    assert task.cv_loss(y2, pred[:3]).baseline == pytest.approx(1 / 3)  # always class 0: one error in three


def test_faces_without_landmarks_are_aligned_by_found_points(astronaut_folder, tmp_path):
    """Regression (every real expression/AU folder set was box-cropped: "faces without 5 alignment points"):
    faces without landmarks get MTCNN's 5 points for the aligned crops, which do not become labels."""
    from facerep.curate.five_points import FivePointFinder

    ds = load_dataset(astronaut_folder)
    finder = FivePointFinder("mtcnn", tmp_path)
    box, aligned = prepare_views(ds, "faces", size=32, margin=0.2, aligns=(None, 0.0), find_points=finder)
    assert aligned.found_points == len(ds) and aligned.unaligned == 0 and box.found_points == 0
    assert "landmarks2d" not in aligned.batch  # the points did not become labels
    assert not np.allclose(aligned.batch["affine"], box.batch["affine"])
    blind = prepare_views(ds, "faces", size=32, margin=0.2, aligns=(0.0,))[0]
    assert blind.unaligned == len(ds) and blind.found_points == 0


def test_bench_says_which_landmarker_aligned_the_faces(astronaut_folder, bench_cache, tmp_path):
    cfg = make_config(dict(tasks=["expression"], fractions=[1.0], seeds=[0], image_size=32, test_fraction=0.5,
                           cache_dir=str(bench_cache), out=str(tmp_path / "b")))
    _, result = bench(cfg, data={"*": astronaut_folder})
    assert any("aligned by the 5 points mtcnn found" in n for n in result.notes), result.notes
    _, result = bench(make_config(cfg, landmarker="none"), data={"*": astronaut_folder})
    assert any("were box-cropped" in n and "landmarker=none" in n for n in result.notes), result.notes


@pytest.fixture(scope="module")
def astronaut_folder(tmp_path_factory) -> str:
    """Eight tight crops of scikit-image's astronaut (a real face), shifted and scaled, as two expression folders."""
    import cv2
    from PIL import Image
    from skimage.data import astronaut

    img, root = astronaut(), tmp_path_factory.mktemp("astronaut")
    for k in range(8):
        d = 6 * k
        crop = np.ascontiguousarray(img[30 + d:230 + d // 2, 130 - d:330 - d // 2])
        cls = ("happy", "neutral")[k % 2]
        (root / cls).mkdir(exist_ok=True)
        Image.fromarray(cv2.resize(crop, (64 + 4 * k, 64 + 4 * k))).save(root / cls / f"face{k}.png")
    return f"imagefolder:{root}?label=expression"
