"""Visible vs occluded metrics (facerep.bench.visibility) on hand-made predictions with known answers."""
import math
from types import SimpleNamespace

import numpy as np

from facerep.bench import metrics as M
from facerep.bench.visibility import occluded_points, part_metrics


def _lm68(rng):
    pts = rng.uniform(8, 56, (68, 2))
    pts[36], pts[45] = (16, 25), (48, 25)  # outer eye corners: inter-ocular distance 32
    return pts


def test_landmark_nme_split_over_visible_and_occluded_points():
    rng = np.random.default_rng(0)
    truth = np.stack([_lm68(rng), _lm68(rng)])  # crop = original pixels here (identity affine)
    regions = np.zeros((2, 64, 64), bool)
    regions[:, 30:, :] = True  # the lower half of each crop is occluded
    occ = occluded_points(truth, regions)
    assert (occ == (np.round(truth[..., 1]) >= 30)).all()
    pred = truth.copy()
    pred[occ] += np.array([3.2, 0.0])  # only occluded points are wrong, by 3.2 px = 0.1 inter-ocular
    batch = {"landmarks2d": truth.astype(np.float32)}
    out = part_metrics(SimpleNamespace(name="landmarks2d"), pred, truth, batch, regions)
    assert out["nme_interocular_visible"] == 0.0
    assert math.isclose(out["nme_interocular_occluded"], 0.1, rel_tol=1e-9)
    assert math.isclose(out["points_occluded"], occ.mean())
    # the box normaliser agrees with the metrics module's NME over the occluded points
    d = M.norm_box_size(truth)
    assert math.isclose(out["nme_box_occluded"], M.nme(pred, truth, d, visible=occ).mean())


def test_parsing_scores_split_over_visible_and_occluded_pixels():
    truth = np.zeros((40, 40), np.uint8)
    truth[10:30, 10:30] = 1  # skin
    truth[15:20, 12:28] = 2  # eyes
    truth[0, :] = 255  # unlabelled row is ignored
    region = np.zeros((1, 80, 80), bool)
    region[0, 20:40, :] = True  # crop rows 20..39 = original rows 10..19 (the crop is the image upscaled 2x)
    pred = truth.copy()
    pred[pred == 255] = 0
    pred[10:20][pred[10:20] == 2] = 1  # every eye pixel (all under the occluder) predicted skin
    batch = {"affine": np.array([[[2.0, 0, 0], [0, 2.0, 0]]]), "orig_size": np.array([[40, 40]])}
    task = SimpleNamespace(name="parsing", n=3, names=["background", "skin", "eyes"], foreground=[1, 2])
    out = part_metrics(task, [pred], [truth], batch, region)
    assert out["mean_f1_visible"] == 1.0 and out["pixel_accuracy_visible"] == 1.0
    assert out["f1_eyes_occluded"] == 0.0 and out["f1_eyes_visible"] != out["f1_eyes_visible"]  # NaN: no eyes
    occluded = np.zeros_like(truth, bool)
    occluded[10:20] = True
    labelled = truth != 255
    assert math.isclose(out["pixels_occluded"], (occluded & labelled).sum() / labelled.sum())
    eyes = (truth == 2).sum()
    assert math.isclose(out["pixel_accuracy_occluded"], 1 - eyes / (occluded & labelled).sum())


def test_tasks_without_a_split_get_nothing():
    assert part_metrics(SimpleNamespace(name="pose"), None, None, {}, np.zeros((1, 4, 4), bool)) == {}
