import numpy as np
import pytest
import torch

from facerep.bench.heads import fit_ridge, linear_head, spatial_linear_head
from facerep.bench.modes.knn import knn_vote


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


def _brute_force_group_error(x, y, groups, lam):
    """Held-out squared error of ridge refitted without each group (the definition _cv_lambda computes)."""
    import numpy as np

    xs = (x - x.mean(0)) / x.std(0, unbiased=False)
    err = []
    for g in np.unique(groups):
        tr, te = torch.from_numpy(groups != g), torch.from_numpy(groups == g)
        xtr, ytr = xs[tr], y[tr]
        mx, my = xtr.mean(0), ytr.mean(0)
        w = torch.linalg.solve((xtr - mx).T @ (xtr - mx) + lam * torch.eye(x.shape[1], dtype=x.dtype),
                               (xtr - mx).T @ (ytr - my))
        err.append(((xs[te] - mx) @ w + my - y[te]) ** 2)
    return float(torch.cat(err).mean())


def test_leave_one_group_out_matches_refitting_without_each_group():
    """The block PRESS identity in _cv_lambda equals refitting (with an intercept) without each group, for every
    penalty of the grid (standardisation held fixed)."""
    import numpy as np

    from facerep.bench.heads import RIDGE_GRID, _cv_lambda, _group_blocks, _held_out_residuals

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 12, generator=gen, dtype=torch.float64)
    y = x[:, :2] @ torch.randn(2, 3, generator=gen, dtype=torch.float64) + torch.randn(40, 3, generator=gen,
                                                                                         dtype=torch.float64)
    groups = np.repeat(np.arange(10), 4)
    xs = (x - x.mean(0)) / x.std(0, unbiased=False)
    xc, yc = xs - xs.mean(0), y - y.mean(0)
    s2, v = torch.linalg.eigh(xc.T @ xc)
    u = xc @ v / s2.sqrt()
    base = float(s2.mean())
    errors = {k * base: _brute_force_group_error(x, y, groups, k * base) for k in RIDGE_GRID}
    for lam, err in errors.items():
        only = float((_held_out_residuals(u, s2, yc, _group_blocks(groups, len(yc)), lam) ** 2).mean())
        assert abs(only - err) < 1e-9 * err
    assert _cv_lambda(u, s2, yc, groups) == min(errors, key=errors.get)


def test_identity_groups_stop_ridge_memorising_people():
    """Targets that are a per-person constant, unrelated to anything shared across people: leave-one-out rewards
    memorising each person (small penalty), leave-one-identity-out sees that nothing transfers (large penalty),
    and on new people the grouped fit is closer to the mean predictor's error."""
    import numpy as np

    gen = torch.Generator().manual_seed(1)
    n_id, per = 30, 6
    person = torch.randn(n_id, 50, generator=gen)
    value = torch.randn(n_id, 1, generator=gen)
    groups = np.repeat(np.arange(n_id), per)
    x = person[groups] + 0.1 * torch.randn(n_id * per, 50, generator=gen)
    y = value[groups]
    new_people = torch.randn(20, 50, generator=gen)
    new_y = torch.randn(20, 1, generator=gen)
    head_loo, head_grp = linear_head(50, 1), linear_head(50, 1)
    lam_loo = fit_ridge(head_loo, x, y)
    lam_grp = fit_ridge(head_grp, x, y, groups)
    assert lam_grp > 100 * lam_loo
    with torch.no_grad():
        err_loo = float(((head_loo(new_people) - new_y) ** 2).mean())
        err_grp = float(((head_grp(new_people) - new_y) ** 2).mean())
    assert err_grp < err_loo


@pytest.mark.parametrize("dim", [6, 20])  # 8 penalties x 2 targets > 6: errors from the fold sums; <= 20: rows
def test_kfold_penalty_errors_match_refitting_each_fold(dim):
    """With more rows than features the penalty comes from grouped 5-fold CV on sufficient statistics; its choice
    equals the one made by refitting ridge (with an intercept) on each fold's training rows, and so does the held-out
    error of every penalty."""
    import numpy as np

    from facerep.bench.heads import RIDGE_GRID, _kfold_errors, _kfold_lambda, _sums

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(120, dim, generator=gen, dtype=torch.float64)
    y = x[:, :1] * 0.3 + torch.randn(120, 2, generator=gen, dtype=torch.float64)
    groups = np.repeat(np.arange(24), 5)
    xc, yc = x - x.mean(0), y - y.mean(0)
    base = float(torch.linalg.eigvalsh(xc.T @ xc).mean())
    fold = np.unique(groups, return_inverse=True)[1] % 5
    errors = {}
    for k in RIDGE_GRID:
        lam, err = k * base, 0.0
        for f in range(5):
            tr, te = torch.from_numpy(fold != f), torch.from_numpy(fold == f)
            mx, my = xc[tr].mean(0), yc[tr].mean(0)
            w = torch.linalg.solve((xc[tr] - mx).T @ (xc[tr] - mx) + lam * torch.eye(dim, dtype=x.dtype),
                                   (xc[tr] - mx).T @ (yc[tr] - my))
            err += float((((xc[te] - mx) @ w + my - yc[te]) ** 2).sum())
        errors[lam] = err
    mean_x = x.mean(0)
    total = _sums(x.float(), mean_x, yc)
    chosen = _kfold_lambda(x.float(), mean_x, yc, groups, total)
    assert chosen == pytest.approx(min(errors, key=errors.get), rel=1e-6)  # the same grid point
    ours = _kfold_errors(x.float(), mean_x, yc, groups, total)
    assert list(ours.values()) == pytest.approx(list(errors.values()), rel=1e-5)  # grid order; float32 rows


def test_primal_sums_in_row_blocks_equal_one_product(monkeypatch):
    """The primal path (more rows than features) sums the centred rows in float64 blocks instead of copying
    the whole matrix: the fitted head is the same whether one block or many (a block smaller than a fold)
    are used, and equals the closed form on the centred float64 matrix."""
    import numpy as np

    from facerep.bench import heads

    gen = torch.Generator().manual_seed(5)
    x = torch.randn(300, 12, generator=gen) * 3 + 1
    y = x[:, :3] @ torch.randn(3, 2, generator=gen) + torch.randn(300, 2, generator=gen)
    groups = np.repeat(np.arange(60), 5)
    one, many = linear_head(12, 2), linear_head(12, 2)
    lam_one = heads.fit_ridge(one, x, y, groups)
    monkeypatch.setattr(heads, "ROW_CHUNK", 7)
    lam_many = heads.fit_ridge(many, x, y, groups)
    assert lam_one == lam_many
    assert torch.allclose(one.last.weight, many.last.weight, atol=1e-6)
    assert torch.allclose(one.last.bias, many.last.bias, atol=1e-6)
    xs = one.norm(x).double()
    xc, yc = xs - xs.mean(0), y.double() - y.double().mean(0)
    w = torch.linalg.solve(xc.T @ xc + lam_one * torch.eye(12, dtype=xc.dtype), xc.T @ yc)
    assert torch.allclose(one.last.weight.double(), w.T, atol=1e-5)


def test_task_criterion_chooses_the_penalty():
    """With ``loss``, the penalty is the one with the best held-out value of the task's own criterion, computed on
    the raw targets (NaN = missing kept) and the exact held-out predictions; AU intensity uses minus the ICC."""
    from facerep.bench.api import make_config
    from facerep.bench.heads import RIDGE_GRID
    from facerep.bench.settings import settings_from
    from facerep.bench.tasks import get_task
    from facerep.bench.tasks._base import TaskSettings

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(60, 80, generator=gen)
    y = 0.3 * x[:, :2] + torch.randn(60, 2, generator=gen)
    y[5, 1] = float("nan")
    seen = []

    def spread(t, p):  # prefers the least shrunk predictions
        seen.append((torch.isnan(t).sum().item(), torch.isnan(p[~torch.isnan(t)]).sum().item()))
        return -float(p[~torch.isnan(t)].var())

    lam_spread = fit_ridge(linear_head(80, 2), x, y, np.repeat(np.arange(20), 3), loss=spread)
    lam_mse = fit_ridge(linear_head(80, 2), x, y, np.repeat(np.arange(20), 3))
    assert len(seen) == len(RIDGE_GRID) and all(s == (1, 0) for s in seen)
    assert lam_spread < lam_mse
    # the AU task's criterion is minus its primary metric on the held-out predictions
    task = get_task("au")(settings_from(make_config({}), TaskSettings))
    task.n, task.names = 2, ["au1", "au2"]
    truth = torch.tensor([[0.0, 0.2], [0.4, 0.6], [0.8, 0.2], [0.2, 1.0]])
    assert task.cv_loss(truth, truth) == pytest.approx(-1.0)
    assert task.cv_loss(truth, truth.flip(0)) > -0.5
