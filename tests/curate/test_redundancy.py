from __future__ import annotations

import numpy as np
import pytest

from facerep.config import RedundancyConfig
from facerep.curate.planted import planted_embeddings
from facerep.curate.redundancy import (
    duplicate_groups,
    groups_from_graph,
    knn_graph,
    pair_scores,
    redundancy_stats,
    representatives,
)


@pytest.mark.parametrize("exact_max", [100_000, 0], ids=["exact", "ivf"])
def test_planted_groups_are_found(exact_max):
    emb, truth = planted_embeddings(3000, 128, seed=3)
    assert len(np.unique(truth)) < 0.5 * len(truth)  # there are many duplicates to find
    cfg = RedundancyConfig(exact_max=exact_max, reduce_dim=32, block=512)
    graph = knn_graph(emb, cfg)
    assert graph.exact == (exact_max > 0)
    labels = groups_from_graph(graph, cfg.threshold)
    precision, recall = pair_scores(labels, truth)
    assert precision >= 0.99 and recall >= 0.99
    stats = redundancy_stats(labels)
    assert stats["redundancy"] == pytest.approx(1 - len(np.unique(truth)) / len(truth), abs=0.01)


def test_threshold_separates_near_duplicates_from_same_identity():
    # same-identity groups have cosine ~0.64: a low threshold merges them, the default does not
    emb, truth = planted_embeddings(600, 64, seed=1, groups_per_identity=3)
    merged = duplicate_groups(emb, RedundancyConfig(threshold=0.3))
    split = duplicate_groups(emb, RedundancyConfig())
    assert len(np.unique(merged)) < len(np.unique(split)) == len(np.unique(truth))


def test_knn_graph_is_exact_and_excludes_self_on_a_memmap(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 16)).astype(np.float32) * 3  # unnormalised input
    np.save(tmp_path / "e.npy", x)
    mm = np.load(tmp_path / "e.npy", mmap_mode="r")
    g = knn_graph(mm, RedundancyConfig(k=5, block=64))
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = xn @ xn.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1)[:, :5]
    assert (g.neighbors != np.arange(300)[:, None]).all()
    np.testing.assert_allclose(g.sims, np.take_along_axis(sims, top, axis=1), atol=1e-5)


def test_ivf_sims_are_exact_rescored():
    emb, _ = planted_embeddings(2000, 96, seed=5)
    g = knn_graph(emb, RedundancyConfig(exact_max=0, reduce_dim=16, k=4))
    i = np.arange(len(emb))[:, None].repeat(4, 1)
    ok = g.neighbors >= 0
    exact = np.einsum("nd,nd->n", emb[i[ok]], emb[g.neighbors[ok]])
    np.testing.assert_allclose(g.sims[ok], exact, atol=1e-5)


def test_tiny_inputs():
    assert duplicate_groups(np.ones((1, 8), np.float32)).tolist() == [0]
    same = np.ones((3, 8), np.float32)
    assert duplicate_groups(same).tolist() == [0, 0, 0]


def test_stats_within_across_videos_and_effective_size():
    # video a: frames 0-3 all one group; video b: frames 0,1 one group + frame 2 alone; group 0 also in c
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 0])
    videos = np.array(["a", "a", "a", "a", "b", "b", "b", "c"])
    frames = np.array([0, 1, 2, 3, 0, 5, 10, -1])
    s = redundancy_stats(labels, videos, frames, strides=(1, 2, 4))
    assert s["faces"] == 8 and s["groups"] == 3 and s["redundancy"] == pytest.approx(5 / 8)
    assert s["duplicate_groups"] == 2 and s["groups_across_videos"] == 1 and s["groups_within_one_video"] == 1
    assert s["faces_with_duplicate_in_same_video"] == 6  # 4 in a, 2 in b
    assert s["faces_in_cross_video_groups"] == 5
    curve = {c["stride"]: (c["faces"], c["effective"]) for c in s["effective_size"]}
    # stride 2 keeps positions 0, 2 of each video (b's frames 0, 10) and the image in c
    assert curve == {1: (8, 3), 2: (5, 3), 4: (3, 2)}


def test_representatives_prefer_the_highest_score():
    labels = np.array([0, 0, 1, 1, 1, 2])
    assert representatives(labels).tolist() == [0, 2, 5]
    assert representatives(labels, np.array([1.0, 5.0, 2.0, np.nan, 9.0, 0.0])).tolist() == [1, 4, 5]


def test_pair_scores():
    assert pair_scores(np.array([0, 0, 1]), np.array([0, 0, 1])) == (1.0, 1.0)
    p, r = pair_scores(np.array([0, 0, 0]), np.array([0, 0, 1]))
    assert p == pytest.approx(1 / 3) and r == 1.0
