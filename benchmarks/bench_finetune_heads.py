"""Fine-tuning heads on landmarks2d: the heatmap head (soft-argmax decode) vs the coordinate-regression head.

    python benchmarks/bench_finetune_heads.py           # 384 synthetic faces of 64 px, ResNet-10t, 30 epochs
    python benchmarks/bench_finetune_heads.py --quick   # the unit test's setting (96 faces, 48-px crops,
                                                        # 20 ep.)

Both runs use the same data, split, epochs, batch size, backbone initialisation and seed (``--mode
finetune``); only ``finetune_linear_heads`` differs: False fine-tunes the heatmap decoder of
:mod:`facerep.bench.finetune_heads`, True the linear coordinate-regression head (LP-FT). Prints the
inter-ocular NME (and FR@0.10) of both heads, the trivial baseline (mean shape) and the wall time of each run.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synth", default="synth:ids=48,per_id=8,size=64,seed=0")
    ap.add_argument("--backbone", default="timm:resnet10t")
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--quick", action="store_true", help="ids=16 per_id=6, 48-px crops, 20 epochs, batch 8")
    args = ap.parse_args()
    if args.quick:
        args.synth = "synth:ids=16,per_id=6,size=64,seed=0"
        args.image_size, args.epochs, args.batch_size = 48, 20, 8

    import torch

    from facerep import progress
    from facerep.bench.api import bench, make_config

    progress.QUIET = True
    print(f"threads: {torch.get_num_threads()}  data: {args.synth}  backbone: {args.backbone} @ "
          f"{args.image_size}px  epochs: {args.epochs}  batch: {args.batch_size}  seeds: {args.seeds}",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for linear, label in ((False, "heatmap head (soft-argmax)"), (True, "coordinate-regression head")):
            cfg = make_config({"tasks": ["landmarks2d"], "mode": "finetune", "backbone": args.backbone,
                               "synth": args.synth, "image_size": args.image_size,
                               "finetune_epochs": args.epochs, "batch_size": args.batch_size,
                               "seeds": [int(s) for s in args.seeds.split(",")], "fractions": [1.0],
                               "finetune_linear_heads": linear, "cache_dir": tmp, "out": tmp})
            t0 = time.perf_counter()
            df, _ = bench(cfg, write=False)
            secs = time.perf_counter() - t0
            mean = df.groupby(["mode", "metric"])["value"].mean()
            n_train, n_test = int(df["n_train"].iloc[0]), int(df["n_test"].iloc[0])
            print(f"{label:28s} NME {mean['finetune', 'nme_interocular']:.4f}  FR@0.10 "
                  f"{mean['finetune', 'fr_0.10']:.3f}  (trivial {mean['trivial', 'nme_interocular']:.4f}; "
                  f"n_train {n_train}, n_test {n_test})  {secs:.0f} s", flush=True)


if __name__ == "__main__":
    main()
