"""Speed of the linear protocol: the full sweep with the feature cache vs a naive loop that re-encodes images.

    python benchmarks/bench_protocol.py                 # all tasks × 7 fractions × 3 seeds, timm:resnet18
                                                        # @ 112 px
    python benchmarks/bench_protocol.py --quick         # a smaller set and sweep (a smoke run)

The cached sweep is run for real, from an empty cache (so feature extraction is included once; library
imports, done before either loop is timed, are not). The naive loop produces the same records without any
state shared between configurations: for every (task, fraction, seed) it decodes and crops (box or aligned, as
the task reads) and encodes the images that configuration's heads need -- the whole training split (the linear
heads standardise their inputs with its statistics, :mod:`facerep.bench.design`), the mirrored training subset
for the tasks that train on mirrored crops too (BenchConfig.mirror), and the test set. It is run for real on
``--naive-configs`` configurations (printed, to check the extrapolation); its total over the whole sweep is
extrapolated as

    Σ_configs [(n_split + n_test) · measured crop seconds per face of the task's crop
               + (n_split + n_train · mirrored + n_test) / encoding throughput  +  head seconds]

with the encoding throughput measured in the cached sweep (the same encoder on the same machine, at the same
moment: the machine's load changing between the phases does not move the ratio) and the head seconds of the
cached sweep's records (a lower bound: there the heads share Gram matrices and the whole-split fit across
seeds). A second, looser lower bound that encodes only the training subset (n_split -> n_train: a loop that
would not reproduce the standardisation) is printed too. Peak RSS is the process maximum.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd
import torch

FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def encode_seconds(model, crops, cfg) -> float:
    """Wall time of encoding ``crops`` as the naive loop would (batches of cfg.batch_size, no cache)."""
    from facerep.bench.features import encode, stack_images

    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, len(crops), cfg.batch_size):
            encode(model, stack_images(crops[s:s + cfg.batch_size]), strides=cfg.dense_strides,
                   grid=cfg.dense_grid)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backbone", default="timm:resnet18")
    ap.add_argument("--image-size", type=int, default=112)
    ap.add_argument("--synth", default=None, help="dataset spec (default: BenchConfig.synth)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--naive-configs", type=int, default=3, help="configurations the naive loop really runs")
    ap.add_argument("--quick", action="store_true",
                    help="synth ids=16 per_id=6 size=64, fractions 0.1,1.0, seed 0")
    args = ap.parse_args()

    from rich.console import Console

    from facerep import progress
    from facerep.bench.api import bench, make_config, summary_table
    from facerep.bench.features import load_backbone
    from facerep.bench.prepare import prepare_views
    from facerep.bench.settings import ViewSettings, settings_from
    from facerep.bench.sources import crop_view
    from facerep.bench.tasks import get_task
    from facerep.bench.tasks._base import TaskSettings
    from facerep.data.formats import load_dataset

    progress.QUIET = True
    fractions = [0.1, 1.0] if args.quick else FRACTIONS
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    opts = {"backbone": args.backbone, "image_size": args.image_size, "fractions": fractions, "seeds": seeds}
    if args.quick:
        opts["synth"] = "synth:ids=16,per_id=6,size=64,seed=0"
    elif args.synth:
        opts["synth"] = args.synth
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_config(opts, cache_dir=os.path.join(tmp, "cache"), out=os.path.join(tmp, "out"))
        print(f"threads: {torch.get_num_threads()}  data: {cfg.synth}  backbone: {cfg.backbone} @ "
              f"{cfg.image_size}px  fractions: {fractions}  seeds: {seeds}", flush=True)
        import timm  # noqa: F401  (the library import is not part of either loop)

        t0 = time.perf_counter()
        df, result = bench(cfg)
        cached = time.perf_counter() - t0
        Console().print(summary_table(df))
        configs = (df[df["mode"] == "linear"].groupby(["task", "fraction", "seed"])
                   .agg(n_train=("n_train", "first"), n_test=("n_test", "first"),
                        seconds=("seconds", "first"))
                   .reset_index())
        # the naive loop: measure encoding throughput on real re-encodings of a few configurations
        model = load_backbone(cfg.backbone, pretrained=False, image_size=cfg.image_size,
                              seed=cfg.backbone_seed)
        margin = float(model.pretrained_cfg.margin)
        crop_secs = {}  # seconds per face to decode and crop, box or aligned
        for aligned in (False, True):
            t1 = time.perf_counter()
            prep = prepare_views(load_dataset(cfg.synth), cfg.synth, size=cfg.image_size, margin=margin,
                                 aligns=(cfg.align_margin if aligned else None,))[0]
            crop_secs[aligned] = (time.perf_counter() - t1) / len(prep)
        rng = np.random.default_rng(0)
        picks = configs.iloc[rng.choice(len(configs), size=min(args.naive_configs, len(configs)),
                                        replace=False)]
        enc_imgs, enc_secs = 0, 0.0
        # both sweeps end at fraction 1.0
        split = configs[configs.fraction == 1.0].groupby("task").n_train.max()
        configs["n_split"] = configs.task.map(split)
        configs["mirrored"] = configs.task.map(
            lambda t: bool(cfg.mirror and get_task(t).mirror_invariant)).astype(int)
        print("naive loop, real runs "
              "(re-encode training split + mirrored subset + test set, then the same head):")
        for _, row in picks.iterrows():
            n = int(configs.loc[row.name, "n_split"] + row.n_train * configs.loc[row.name, "mirrored"]
                    + row.n_test)
            crops = [prep.crops[i % len(prep.crops)] for i in range(n)]
            secs = encode_seconds(model, crops, cfg)
            enc_imgs, enc_secs = enc_imgs + n, enc_secs + secs
            print(f"  {row.task:12s} fraction {row.fraction:<5g} seed {row.seed}: {n} images encoded in "
                  f"{secs:.2f} s + head {row.seconds:.2f} s = {secs + row.seconds:.2f} s")
        naive_throughput = enc_imgs / max(enc_secs, 1e-9)
        # the naive loop runs the same encoder on the same machine: extrapolate it with the throughput
        # measured in the cached sweep itself, so a change in the machine's load between the two phases does
        # not bias the ratio
        throughput = result.forwarded / max(result.forward_seconds, 1e-9)
        view, task_settings = settings_from(cfg, ViewSettings), settings_from(cfg, TaskSettings)
        per_face = configs.task.map(lambda t: crop_secs[crop_view(view, get_task(t)(task_settings)).aligned])

        def naive_seconds(train: pd.Series) -> float:
            images = train + configs.n_train * configs.mirrored + configs.n_test
            return float(
                ((train + configs.n_test) * per_face + images / throughput).sum() + configs.seconds.sum())

        naive, naive_subset = naive_seconds(configs.n_split), naive_seconds(configs.n_train)
    print(f"configurations: {len(configs)} (tasks × fractions × seeds); encoding throughput {throughput:.1f} "
          f"images/s in the cached sweep ({result.forwarded} images, {result.forward_seconds:.1f} s), "
          f"{naive_throughput:.1f} in the naive runs; "
          f"decode + crop {1000 * crop_secs[False]:.2f} ms per face (box), {1000 * crop_secs[True]:.2f} ms "
          "(aligned)")
    print(f"cached sweep (measured, features computed once): {cached:.1f} s wall")
    print(f"naive loop (extrapolated to all {len(configs)} configurations at the sweep's throughput): "
          f"{naive:.1f} s")
    print(f"speed-up: {naive / cached:.1f}x (target >= 20x)")
    print("looser lower bound, a naive loop encoding only each training subset (not the same "
          f"standardisation): {naive_subset:.1f} s, {naive_subset / cached:.1f}x")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB (features are memory-mapped float16 .npy files)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
