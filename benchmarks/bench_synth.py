"""Speed and memory of the synthetic face source (facerep.data.synth) on ONE core.

    python benchmarks/bench_synth.py                 # 2000 timed faces at 112 px, then 100k streamed
    python benchmarks/bench_synth.py --n 10000       # stream fewer samples

Prints labelled faces per second at --size by CPU time of this process (target >= 500/s at 112 px; wall time
is printed too, but on a shared machine it mostly measures the wait for a core), its ratio to a baseline
measured in the same process (decoding the same faces from PNG bytes, i.e. what reading an on-disk dataset of
that size costs), and the RSS before and after streaming --n samples (must stay flat: the only caches are
bounded LRU caches of identity parameters and shapes).
"""
from __future__ import annotations

import argparse
import time

import cv2
import torch


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="samples streamed for the memory check")
    ap.add_argument("--timed", type=int, default=2000, help="samples timed for the speed figure")
    ap.add_argument("--size", type=int, default=112)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from facerep.data.synth import SynthDataset

    ds = SynthDataset(ids=max(1, (max(args.n, args.timed) + 19) // 20), per_id=20, size=args.size, seed=0)
    for i in range(50):  # warm up: texture banks, imports
        ds[i]
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(args.timed):
        s = ds[i]
        assert s.mask is not None and s.landmarks2d is not None
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    fps = args.timed / dt
    encoded = [cv2.imencode(".png", ds[i].image)[1] for i in range(200)]
    c0 = time.process_time()
    reps = max(1, args.timed // 200)
    for _ in range(reps):
        for buf in encoded:
            cv2.imdecode(buf, cv2.IMREAD_COLOR)
    png_fps = reps * len(encoded) / (time.process_time() - c0)
    cpu_fps = args.timed / cpu
    verdict = "met" if cpu_fps >= 500 else "NOT met"
    print(f"synth: {cpu_fps:.0f} labelled faces/s at {args.size} px on one core by CPU time of this process "
          f"({1000 * cpu / args.timed:.2f} ms/face; target >= 500/s: {verdict})")
    print(f"  by wall time: {fps:.0f} faces/s ({1000 / fps:.2f} ms/face); on a shared machine wall time "
          "includes waiting for the core")
    print(f"baseline PNG decode of the same faces: {png_fps:.0f}/s by CPU time; "
          f"synth / PNG-decode ratio = {cpu_fps / png_fps:.3f}")

    before = rss_mib()
    checksum = 0
    t0 = time.perf_counter()
    for i in range(min(args.n, len(ds))):
        s = ds[i]
        checksum += int(s.mask[0, 0])
        if i and i % 20000 == 0:
            print(f"  streamed {i}: RSS {rss_mib():.1f} MiB")
    after = rss_mib()
    print(f"RSS before streaming: {before:.1f} MiB; after {min(args.n, len(ds))} samples: {after:.1f} MiB "
          f"(delta {after - before:+.1f} MiB) in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
