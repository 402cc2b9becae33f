"""Near-duplicate groups from embeddings: a k-nearest-neighbour graph (faiss), thresholded at a cosine
similarity, split into connected components (scipy). Memory is O(N·(D + k)): no N×N matrix is formed.

- N <= ``exact_max``: exact search, ``faiss.IndexFlatIP`` queried block by block;
- larger N: ``IndexIVFFlat`` over a PCA-reduced (``reduce_dim``), re-normalised copy; the candidate
  neighbours it returns are re-scored with the exact full-width cosine before thresholding, so a reported
  edge is always a true near-duplicate (approximation only costs recall).

Groups are numbered in order of their first face. The redundancy ratio is ``1 - groups / faces``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
import pandas as pd

from ..config import RedundancyConfig
from ..progress import track


@dataclass
class KnnGraph:
    """``neighbors`` [N, k] int64 (-1 = none) and ``sims`` [N, k] float32 exact cosine similarities."""

    neighbors: np.ndarray
    sims: np.ndarray
    exact: bool


def _normalized(block: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(block, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(n, s + size)) for s in range(0, n, max(1, size))]


def _drop_self(ids: np.ndarray, sims: np.ndarray, start: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each query's own id from its result row; keep the first k others (-1 padded)."""
    rows = np.arange(start, start + len(ids))[:, None]
    keep = ids != rows
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
    out_i = np.take_along_axis(np.where(keep, ids, -1), order, axis=1)
    out_s = np.take_along_axis(np.where(keep, sims, -np.inf), order, axis=1)
    return out_i, out_s.astype(np.float32)


def _exact_knn(emb: np.ndarray, cfg: RedundancyConfig, k: int) -> KnnGraph:
    n, d = emb.shape
    index = faiss.IndexFlatIP(d)
    for s, e in _blocks(n, cfg.block):
        index.add(_normalized(emb[s:e]))
    nb, ns = np.empty((n, k), np.int64), np.empty((n, k), np.float32)
    for s, e in track(_blocks(n, cfg.block), "kNN (exact)"):
        sims, ids = index.search(_normalized(emb[s:e]), min(n, k + 1))
        nb[s:e], ns[s:e] = _pad(*_drop_self(ids, sims, s, k), k)
    return KnnGraph(nb, ns, exact=True)


def _pad(ids: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if ids.shape[1] == k:
        return ids, sims
    pad = k - ids.shape[1]
    return (np.pad(ids, ((0, 0), (0, pad)), constant_values=-1),
            np.pad(sims, ((0, 0), (0, pad)), constant_values=-np.inf))


def _reduce(emb: np.ndarray, cfg: RedundancyConfig, rng: np.random.Generator) -> np.ndarray:
    """[N, D] -> [N, reduce_dim] PCA projection (trained on a seeded sample), re-normalised."""
    n, d = emb.shape
    if cfg.reduce_dim <= 0 or cfg.reduce_dim >= d:
        return np.concatenate([_normalized(emb[s:e]) for s, e in _blocks(n, cfg.block)])
    sample = _normalized(emb[np.sort(rng.choice(n, size=min(n, 50_000), replace=False))])
    pca = faiss.PCAMatrix(d, cfg.reduce_dim)
    pca.train(sample)
    out = np.empty((n, cfg.reduce_dim), np.float32)
    for s, e in _blocks(n, cfg.block):
        out[s:e] = _normalized(pca.apply(_normalized(emb[s:e])))
    return out


def _ivf_knn(emb: np.ndarray, cfg: RedundancyConfig, k: int) -> KnnGraph:
    n = emb.shape[0]
    rng = np.random.default_rng(cfg.seed)
    low = _reduce(emb, cfg, rng)
    # nlist ~ sqrt(nprobe * N) balances assigning queries to cells against scanning the visited cells
    nlist = cfg.nlist or int(min(max(16, np.sqrt(cfg.nprobe * n)), n // 39))
    quantizer = faiss.IndexFlatIP(low.shape[1])
    index = faiss.IndexIVFFlat(quantizer, low.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed, index.cp.niter = cfg.seed, 10  # coarse cells only route the search: few k-means steps do
    index.train(low[np.sort(rng.choice(n, size=min(n, 40 * nlist), replace=False))])
    index.add(low)
    index.nprobe = min(cfg.nprobe, nlist)
    nb, ns = np.empty((n, k), np.int64), np.empty((n, k), np.float32)
    for s, e in track(_blocks(n, cfg.block), "kNN (IVF)"):
        _, ids = index.search(low[s:e], k + 1)
        ids, _ = _drop_self(ids, np.zeros(ids.shape, np.float32), s, k)
        nb[s:e], ns[s:e] = ids, _rescore(emb, ids, s)
    return KnnGraph(nb, ns, exact=False)


def _rescore(emb: np.ndarray, ids: np.ndarray, start: int, chunk: int = 2048) -> np.ndarray:
    """Exact cosine between rows start.. and their candidate ids [b, k] (-1 -> -inf)."""
    out = np.full(ids.shape, -np.inf, np.float32)
    for s, e in _blocks(len(ids), chunk):
        q = _normalized(emb[start + s:start + e])
        cand = ids[s:e]
        flat = np.clip(cand.reshape(-1), 0, None)
        order = np.argsort(flat, kind="stable")  # sorted gathers read a memmap sequentially
        vecs = np.empty((len(flat), emb.shape[1]), np.float32)
        vecs[order] = _normalized(emb[flat[order]])
        sims = np.einsum("bd,bkd->bk", q, vecs.reshape(len(cand), cand.shape[1], -1))
        out[s:e] = np.where(cand >= 0, sims, -np.inf)
    return out


def knn_graph(emb: np.ndarray, cfg: RedundancyConfig | None = None) -> KnnGraph:
    """emb: [N, D] (any norm; a memmap is fine) -> the k-NN graph with exact cosine similarities."""

    cfg = cfg or RedundancyConfig()
    n = emb.shape[0]
    k = max(1, min(cfg.k, n - 1)) if n > 1 else 1
    if n <= 1:
        return KnnGraph(np.full((n, 1), -1, np.int64), np.full((n, 1), -np.inf, np.float32), exact=True)
    if n <= max(cfg.exact_max, 40 * 16):
        return _exact_knn(emb, cfg, k)
    return _ivf_knn(emb, cfg, k)


def groups_from_graph(graph: KnnGraph, threshold: float) -> np.ndarray:
    """Connected components of the graph's edges with cosine >= threshold -> group id per face [N]
    (ids numbered by first appearance)."""
    # deferred: scipy and scikit-learn, which `facerep --help` (it loads this module) does not need
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = graph.neighbors.shape[0]
    mask = (graph.neighbors >= 0) & (graph.sims >= threshold)
    rows = np.nonzero(mask)[0]
    cols = graph.neighbors[mask]
    adj = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n)).tocsr()
    _, labels = connected_components(adj, directed=False)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


def duplicate_groups(emb: np.ndarray, cfg: RedundancyConfig | None = None) -> np.ndarray:
    """emb: [N, D] -> near-duplicate group id per face [N] at ``cfg.threshold``."""
    cfg = cfg or RedundancyConfig()
    return groups_from_graph(knn_graph(emb, cfg), cfg.threshold)


def representatives(labels: np.ndarray, score: np.ndarray | None = None) -> np.ndarray:
    """One index per group (the highest ``score``, ties and no score -> the first), sorted ascending."""
    n = len(labels)
    key = np.zeros(n) if score is None else -np.nan_to_num(np.asarray(score, np.float64), nan=-np.inf)
    order = np.lexsort((np.arange(n), key, labels))
    first = np.ones(n, bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    return np.sort(order[first])


def pair_scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of same-group pairs of ``pred`` against ``truth`` (1.0 when there are none)."""
    from sklearn.metrics.cluster import pair_confusion_matrix  # deferred: see groups_from_graph

    (_, fp), (fn, tp) = pair_confusion_matrix(truth, pred)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return float(precision), float(recall)


def redundancy_stats(labels: np.ndarray, videos: np.ndarray | None = None, frames: np.ndarray | None = None,
                     strides: list[int] | tuple[int, ...] = (1, 2, 4, 8)) -> dict[str, Any]:
    """Redundancy ratio, duplicates within/across videos (a video = ``videos[i]``, e.g. the video or the
    source image of each face) and, when ``frames`` are given, the effective-size curve vs frame stride:
    keeping every s-th sampled frame of each video, how many faces remain and how many distinct groups."""
    n = len(labels)
    n_groups = len(np.unique(labels)) if n else 0
    out: dict[str, Any] = {"faces": n, "groups": n_groups, "redundancy": 1.0 - n_groups / n if n else 0.0}
    if videos is None or not n:
        return out
    df = pd.DataFrame({"g": labels, "v": videos})
    per_group = df.groupby("g")["v"].agg(["size", "nunique"])
    multi = per_group[per_group["size"] > 1]
    out["duplicate_groups"] = len(multi)
    out["groups_within_one_video"] = int((multi["nunique"] == 1).sum())
    out["groups_across_videos"] = int((multi["nunique"] > 1).sum())
    pair_counts = df.groupby(["g", "v"]).size()
    out["faces_with_duplicate_in_same_video"] = int(pair_counts[pair_counts > 1].sum())
    out["faces_in_cross_video_groups"] = int(df["g"].isin(multi.index[multi["nunique"] > 1]).sum())
    if frames is not None:
        df["f"] = frames
        pos = df.groupby("v")["f"].rank(method="dense").astype(np.int64) - 1  # position among sampled frames
        curve = []
        for s in strides:
            kept = df[(df["f"] < 0) | (pos % s == 0)]
            curve.append({"stride": int(s), "faces": len(kept), "effective": int(kept["g"].nunique())})
        out["effective_size"] = curve
    return out
