"""Speed of the linear protocol: the full sweep with the feature cache vs a naive loop that re-encodes images.

    python benchmarks/bench_protocol.py                 # all tasks × 7 fractions × 3 seeds, timm:resnet18 @ 112 px
    python benchmarks/bench_protocol.py --quick         # a smaller set and sweep (a smoke run)

The cached sweep is run for real, from an empty cache (so feature extraction is included once). The naive loop,
which encodes the training subset and the test set again for every (task, fraction, seed), is run for real on
``--naive-configs`` configurations; its total over the whole sweep is extrapolated as

    Σ_configs (n_train + n_test) / measured encoding throughput  +  Σ_configs head seconds (from the records)

and the real naive runs are printed next to their predicted times. Peak RSS is the process maximum.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def encode_seconds(model, crops, cfg) -> float:
    """Wall time of encoding ``crops`` as the naive loop would (batches of cfg.batch_size, no cache)."""
    from facerep.bench.features import encode, stack_images

    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, len(crops), cfg.batch_size):
            encode(model, stack_images(crops[s:s + cfg.batch_size]), strides=cfg.dense_strides, grid=cfg.dense_grid)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backbone", default="timm:resnet18")
    ap.add_argument("--image-size", type=int, default=112)
    ap.add_argument("--synth", default=None, help="dataset spec (default: BenchConfig.synth)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--naive-configs", type=int, default=3, help="configurations the naive loop really runs")
    ap.add_argument("--quick", action="store_true", help="synth ids=16 per_id=6 size=64, fractions 0.1,1.0, seed 0")
    args = ap.parse_args()

    from facerep import progress
    from facerep.bench.api import bench, make_config, summary_table
    from facerep.bench.features import load_backbone
    from facerep.bench.prepare import prepare
    from facerep.data.formats import load_dataset
    from rich.console import Console

    progress.QUIET = True
    fractions = [0.1, 1.0] if args.quick else FRACTIONS
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    opts = dict(backbone=args.backbone, image_size=args.image_size, fractions=fractions, seeds=seeds)
    if args.quick:
        opts["synth"] = "synth:ids=16,per_id=6,size=64,seed=0"
    elif args.synth:
        opts["synth"] = args.synth
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_config(opts, cache_dir=os.path.join(tmp, "cache"), out=os.path.join(tmp, "out"))
        print(f"threads: {torch.get_num_threads()}  data: {cfg.synth}  backbone: {cfg.backbone} @ {cfg.image_size}px  "
              f"fractions: {fractions}  seeds: {seeds}", flush=True)
        t0 = time.perf_counter()
        df, result = bench(cfg)
        cached = time.perf_counter() - t0
        Console().print(summary_table(df))
        configs = (df[df["mode"] == "linear"].groupby(["task", "fraction", "seed"])
                   .agg(n_train=("n_train", "first"), n_test=("n_test", "first"), seconds=("seconds", "first"))
                   .reset_index())
        # the naive loop: measure encoding throughput on real re-encodings of a few configurations
        model = load_backbone(cfg.backbone, pretrained=False, image_size=cfg.image_size, seed=cfg.backbone_seed)
        margin = float(model.pretrained_cfg.margin)
        prep = prepare(load_dataset(cfg.synth), cfg.synth, size=cfg.image_size, margin=margin)
        rng = np.random.default_rng(0)
        picks = configs.iloc[rng.choice(len(configs), size=min(args.naive_configs, len(configs)), replace=False)]
        enc_imgs, enc_secs = 0, 0.0
        print("naive loop, real runs (re-encode train subset + test set, then the same head):")
        for _, row in picks.iterrows():
            n = int(row.n_train + row.n_test)
            crops = [prep.crops[i % len(prep.crops)] for i in range(n)]
            secs = encode_seconds(model, crops, cfg)
            enc_imgs, enc_secs = enc_imgs + n, enc_secs + secs
            print(f"  {row.task:12s} fraction {row.fraction:<5g} seed {row.seed}: {n} images encoded in {secs:.2f} s "
                  f"+ head {row.seconds:.2f} s = {secs + row.seconds:.2f} s")
        throughput = enc_imgs / max(enc_secs, 1e-9)
        naive = float(((configs.n_train + configs.n_test) / throughput).sum() + configs.seconds.sum())
    print(f"configurations: {len(configs)} (tasks × fractions × seeds); encoding throughput {throughput:.1f} images/s")
    print(f"cached sweep (measured, features computed once): {cached:.1f} s wall")
    print(f"naive loop (extrapolated from {len(picks)} real re-encodings to all {len(configs)} configurations): {naive:.1f} s")
    print(f"speed-up: {naive / cached:.1f}x (target >= 20x)")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB (features are memory-mapped float16 .npy files)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
