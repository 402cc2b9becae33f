"""Peak memory of the closed-form ridge head with more rows than features (the primal path of
:func:`facerep.bench.heads.fit_ridge`), against the textbook fit in the same process.

    python benchmarks/bench_ridge_memory.py                        # 16 000 rows x 2 048 features
    python benchmarks/bench_ridge_memory.py --rows 57418 --dim 12544   # full FER2013 + mirrors, stride-4 grid

The baseline is the closed form written directly: a centred float64 copy of the standardised features,
its Gram matrix and 5-fold penalty selection on row copies of each fold, then one solve -- what the head did
before its sums were accumulated in row blocks. Both fit the same random features (7 targets, groups of 4
rows). Each fit runs in a fresh child process that makes the same seeded features (freed memory of one
fit cannot hide the other's peak; a forked child would deadlock in torch's thread pool). Memory is the
child's peak resident set above its level just before the fit (Linux: ``/proc/self/status`` VmHWM, reset
through ``/proc/self/clear_refs``), printed in multiples of the float32 feature matrix and as the ratio of
the two peaks; the chosen penalties are printed to show the fits agree.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import torch

from facerep.bench.heads import RIDGE_GRID, fit_ridge, linear_head


def _peak() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _peak()


def textbook(x: torch.Tensor, y: torch.Tensor, groups: np.ndarray) -> float:
    """Standardise, centre in float64, choose the penalty by 5-fold grouped CV refitting each fold, solve."""
    xs = (x - x.mean(0)) / x.std(0, unbiased=False).clamp(min=1e-8)
    xc = xs.double() - xs.double().mean(0)
    yc = y.double() - y.double().mean(0)
    gram = xc.T @ xc
    base = float(torch.linalg.eigvalsh(gram).clamp(min=0).mean())
    fold = torch.from_numpy(np.unique(groups, return_inverse=True)[1] % 5)
    errors = dict.fromkeys((k * base for k in RIDGE_GRID), 0.0)
    for f in range(5):
        tr, te = xc[fold != f], xc[fold == f]
        mx, my = tr.mean(0), yc[fold != f].mean(0)
        evals, vecs = torch.linalg.eigh((tr - mx).T @ (tr - mx))
        proj = vecs.T @ ((tr - mx).T @ (yc[fold != f] - my))
        for lam in errors:
            w = vecs @ (proj / (evals.clamp(min=0) + lam)[:, None])
            errors[lam] += float((((te - mx) @ w + my - yc[fold == f]) ** 2).sum())
    lam = min(errors, key=lambda k: (errors[k], -k))
    torch.linalg.solve(gram + lam * torch.eye(len(gram), dtype=gram.dtype), xc.T @ yc)
    return lam


def features(rows: int, dim: int) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Seeded random features [rows, dim], 7 targets (one direction of signal), groups of 4 rows."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(rows, dim, generator=gen)
    y = x[:, :7] * 0.2 + torch.randn(rows, 7, generator=gen)
    return x, y, np.arange(rows) // 4


FITS = {"textbook float64 copy": textbook,
        "fit_ridge (row blocks)": lambda x, y, g: fit_ridge(linear_head(x.shape[1], y.shape[1]), x, y, g)}


def child(name: str, rows: int, dim: int) -> None:
    """Make the features, fit, print {peak bytes above the level before the fit, seconds, penalty} as JSON."""
    x, y, groups = features(rows, dim)
    before, t0 = _reset_peak(), time.perf_counter()
    lam = FITS[name](x, y, groups)
    print(json.dumps({"peak": _peak() - before, "seconds": time.perf_counter() - t0, "penalty": lam}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=16000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.rows, args.dim)
    size = args.rows * args.dim * 4
    print(f"features: {args.rows} x {args.dim} float32 = {size / 2**30:.2f} GiB")
    peaks = {}
    for name in FITS:
        run = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--dim", str(args.dim),
                              "--child", name], capture_output=True, text=True, check=True)
        out = json.loads(run.stdout.strip().splitlines()[-1])
        peaks[name] = out["peak"]
        print(f"{name:>24}: peak +{peaks[name] / 2**30:.2f} GiB = {peaks[name] / size:.2f} x features, "
              f"{out['seconds']:.1f} s, penalty {out['penalty']:.6g}")
    ratio = peaks["fit_ridge (row blocks)"] / peaks["textbook float64 copy"]
    print(f"peak memory ratio fit_ridge / textbook: {ratio:.2f}")


if __name__ == "__main__":
    main()
