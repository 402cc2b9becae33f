"""Planted near-duplicate embeddings with known groups, for tests and benchmarks of redundancy search.

Faces belong to identities (group centres of one identity have cosine ~0.64 with each other) and to
near-duplicate groups (members = centre + isotropic noise; member cosine ~0.99 for the default noise).
Group sizes are 1 + Poisson(``mean_dup``), like runs of near-identical video frames.
"""
from __future__ import annotations

import numpy as np


def planted_embeddings(n: int, dim: int = 512, *, mean_dup: float = 2.0, noise: float = 0.1,
                       groups_per_identity: int = 5, seed: int = 0,
                       chunk_groups: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings [n, dim] float32 unit rows, true group id [n]). ``noise`` is the norm of each member's
    offset from its group centre (cosine between two members ~ 1 / (1 + noise²)). Deterministic in
    ``seed``."""
    rng = np.random.default_rng(seed)
    sizes = 1 + rng.poisson(mean_dup, size=n)
    sizes = sizes[:int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= int(sizes.sum() - n)
    sizes = sizes[sizes > 0]
    n_groups = len(sizes)
    labels = np.repeat(np.arange(n_groups), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n_ids = max(1, n_groups // groups_per_identity)
    id_vecs = _unit(rng.standard_normal((n_ids, dim), dtype=np.float32))
    group_id = rng.integers(0, n_ids, size=n_groups)
    out = np.empty((n, dim), np.float32)
    for c, g0 in enumerate(range(0, n_groups, chunk_groups)):  # groups never straddle chunks
        g1 = min(n_groups, g0 + chunk_groups)
        crng = np.random.default_rng([seed, c])
        centres = _unit(0.8 * id_vecs[group_id[g0:g1]]
                        + 0.6 * _unit(crng.standard_normal((g1 - g0, dim), dtype=np.float32)))
        s, e = starts[g0], starts[g1]
        noise_vec = crng.standard_normal((e - s, dim), dtype=np.float32) * (noise / np.sqrt(dim))
        out[s:e] = _unit(centres[labels[s:e] - g0] + noise_vec)
    return out, labels


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)
