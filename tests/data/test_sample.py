import numpy as np
import torch

from facerep.data.sample import FaceSample, collate


def _s(**kw):
    return FaceSample(image=np.zeros((8, 8, 3), np.uint8), **kw)


def test_collate_missing_labels():
    a = _s(identity=3, landmarks2d=np.ones((68, 2)), valence=0.5, mask=np.ones((8, 8), np.uint8))
    b = _s(expression=2)
    batch = collate([a, b])
    assert batch["image"].shape == (2, 3, 8, 8)
    assert batch["identity"].tolist() == [3, -1] and batch["has_identity"].tolist() == [True, False]
    assert batch["expression"].tolist() == [-1, 2]
    assert torch.isnan(batch["landmarks2d"][1]).all() and batch["landmarks2d"][0].sum() == 136
    assert batch["valence"][0] == 0.5 and torch.isnan(batch["valence"][1])
    assert (batch["mask"][1] == 255).all() and (batch["mask"][0] == 1).all()
    assert "pose" not in batch
    assert a.labels() == {"identity", "landmarks2d", "valence", "mask"}
