import numpy as np
import torch

from facerep.bench.heads import fit_ridge, knn_vote, linear_head, spatial_linear_head


def test_ridge_recovers_a_linear_map():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 10, generator=g)
    w = torch.randn(10, 3, generator=g)
    y = x @ w + 0.5
    head = linear_head(10, 3)
    lam = fit_ridge(head, x, y)
    pred = head(torch.randn(5, 10, generator=g) * 0 + x[:5]).detach()
    assert lam <= 1.0  # noiseless data: leave-one-out picks a small penalty
    assert torch.allclose(pred, y[:5], atol=0.05)


def test_ridge_on_noise_predicts_about_the_mean():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(60, 500, generator=g), torch.randn(60, 2, generator=g) + 3.0
    head = spatial_linear_head(5, 10, 2)
    fit_ridge(head, x.reshape(60, 5, 10, 10), y)
    pred = head(torch.randn(20, 5, 10, 10, generator=g)).detach()
    assert torch.allclose(pred.mean(0), y.mean(0), atol=0.3)
    assert float(pred.std(0).max()) < 0.5  # heavily shrunk towards the mean


def test_ridge_ignores_missing_targets():
    x = torch.randn(50, 4)
    y = x[:, :1] * 2.0
    y_missing = y.clone()
    y_missing[::5] = float("nan")
    head = linear_head(4, 1)
    fit_ridge(head, x, y_missing)
    assert np.isfinite(head.last.weight.detach().numpy()).all()


def test_knn_vote_weights_nearest_neighbours():
    x_train = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]])
    votes = torch.tensor([[1.0], [0.0], [float("nan")]])
    out = knn_vote(x_train, votes, torch.tensor([[1.0, 0.05]]), k=3, temperature=0.07)
    assert out.shape == (1, 1)
    assert float(out[0, 0]) > 0.99  # the NaN vote is left out, the far neighbour barely counts
