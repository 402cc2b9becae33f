from __future__ import annotations

import numpy as np
import pytest

from facerep.data.geometry import TEMPLATE_112, apply, similarity, template
from facerep.errors import DataError


def _similarity_matrix(scale: float, angle_deg: float, tx: float, ty: float) -> np.ndarray:
    """The 2×3 matrix of a rotation by ``angle_deg``, uniform ``scale`` and translation (tx, ty)."""
    a = np.deg2rad(angle_deg)
    r = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([r, [[tx], [ty]]])


def test_template_margin_zero_is_arcface_and_margin_shrinks_towards_centre():
    np.testing.assert_allclose(template(112, 0.0), TEMPLATE_112)
    t = template(224, 0.0)
    np.testing.assert_allclose(t, TEMPLATE_112 * 2)
    wide = template(112, 0.25)
    centre = np.array([56.0, 56.0])
    # a margin pulls every point towards the centre by 1 / (1 + 2m)
    np.testing.assert_allclose(wide - centre, (TEMPLATE_112 / 112 + 0.25) / 1.5 * 112 - centre)
    assert np.all(np.linalg.norm(wide - centre, axis=1) < np.linalg.norm(TEMPLATE_112 - centre, axis=1))


@pytest.mark.parametrize("eye_weight", [1, 3])
def test_similarity_inverts_a_known_similarity_exactly(eye_weight):
    # landmarks that are an exact similarity image of the template are mapped back onto it
    forward = _similarity_matrix(2.3, 17.0, 140.0, 60.0)
    landmarks = apply(forward, template(112))
    m = similarity(landmarks, 112, 0.0, eye_weight)
    np.testing.assert_allclose(apply(m, landmarks), template(112), atol=1e-3)
    # the recovered matrix is the inverse of the forward one
    np.testing.assert_allclose(m[:, :2] @ forward[:, :2], np.eye(2), atol=1e-5)


def test_eye_weight_trades_mouth_for_eyes():
    lm = template(112).copy()
    lm[3:, 1] += 8.0  # a longer face: mouth lower than the template's
    err = {w: np.linalg.norm(apply(similarity(lm, 112, 0.0, w), lm)[:2] - template(112)[:2], axis=1).max()
           for w in (1, 3)}
    assert err[3] < err[1]


def test_degenerate_landmarks_raise_data_error():
    with pytest.raises(DataError, match="finite"):
        similarity(np.full((5, 2), np.nan))
