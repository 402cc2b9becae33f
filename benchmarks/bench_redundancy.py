"""Benchmark of near-duplicate search (facerep.curate.redundancy) on planted embeddings.

    python benchmarks/bench_redundancy.py            # 1M x 512-d (target: < 2 min on 2 cores)
    python benchmarks/bench_redundancy.py --n 200000 # smaller

On a shared machine the wall time depends on the load; the CPU time is printed too (CPU time / threads is the
wall time on idle cores). Embeddings are written to a float32 memmap on disk first (as `facerep redundancy
--embeddings` reads them), so the search reads them in blocks. Prints the time of each stage, the peak RSS,
precision/recall of the groups against the planted truth, and — on a 50k subset — the IVF path against the
exact blockwise search (agreement and time; the exact search's time scaled quadratically to N gives the speed
ratio).
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def write_memmap(path: Path, n: int, dim: int, seed: int) -> np.ndarray:
    """Write planted embeddings to a .npy at ``path``; returns the true group ids."""
    from facerep.curate.planted import planted_embeddings

    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    labels = np.empty(n, np.int64)
    offset, block = 0, 200_000
    for s in range(0, n, block):  # independent planted chunks; group ids offset to stay distinct
        x, y = planted_embeddings(min(block, n - s), dim, seed=seed + s)
        mm[s:s + len(x)], labels[s:s + len(x)] = x, y + offset
        offset = int(labels[s:s + len(x)].max()) + 1
    mm.flush()
    del mm
    return labels


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--subset", type=int, default=50_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import faiss

    from facerep import progress
    from facerep.config import RedundancyConfig
    from facerep.curate.redundancy import groups_from_graph, knn_graph, pair_scores

    progress.QUIET = True
    faiss.omp_set_num_threads(args.threads)
    cfg = RedundancyConfig()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        # planted in a child process, so the peak RSS printed below is the search's alone
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            truth = pool.submit(write_memmap, Path(tmp) / "emb.npy", args.n, args.dim, args.seed).result()
        emb = np.load(Path(tmp) / "emb.npy", mmap_mode="r")
        print(f"planted {args.n} x {args.dim} embeddings ({len(np.unique(truth))} groups) in "
              f"{time.perf_counter() - t0:.1f}s; peak RSS so far {peak_rss_gb():.2f} GB")
        t0, c0 = time.perf_counter(), time.process_time()
        graph = knn_graph(emb, cfg)
        labels = groups_from_graph(graph, cfg.threshold)
        t_full, c_full = time.perf_counter() - t0, time.process_time() - c0
        p, r = pair_scores(labels, truth)
        print(f"N={args.n}: {'exact' if graph.exact else 'IVF'} kNN + groups in {t_full:.1f}s wall, "
              f"{c_full:.1f}s CPU ({args.threads} threads; CPU / threads = wall on idle cores); redundancy "
              f"{1 - len(np.unique(labels)) / args.n:.4f} (truth {1 - len(np.unique(truth)) / args.n:.4f}); "
              f"pair precision {p:.4f} recall {r:.4f}; peak RSS {peak_rss_gb():.2f} GB")
        m = min(args.subset, args.n)
        sub, sub_truth = np.ascontiguousarray(emb[:m]), truth[:m]
        t0 = time.perf_counter()
        exact = groups_from_graph(knn_graph(sub, RedundancyConfig(exact_max=m)), cfg.threshold)
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        approx = groups_from_graph(knn_graph(sub, RedundancyConfig(exact_max=0)), cfg.threshold)
        t_approx = time.perf_counter() - t0
        pa, ra = pair_scores(approx, exact)
        projected = t_exact * (args.n / m) ** 2
        print(f"subset {m}: exact blockwise {t_exact:.1f}s, IVF {t_approx:.1f}s (x{t_exact / t_approx:.1f}); "
              f"IVF vs exact pairs precision {pa:.4f} recall {ra:.4f}; exact vs truth "
              f"{pair_scores(exact, sub_truth)}")
        print(f"exact blockwise at N={args.n} projected {projected:.0f}s -> speed ratio vs this run "
              f"x{projected / t_full:.0f}; final peak RSS {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
