"""Dataset curation: detect and align faces, measure quality, find near-duplicates, build study subsets.

- :mod:`.detect` — the detector registry (one file per detector in :mod:`.detectors`)
- :mod:`.align` — 5-point similarity alignment to the ArcFace-style template
- :mod:`.quality` — sharpness, face size, detector score, frontal-ness; ``--min-*`` filters
- :mod:`.walk` — image folders and videos, with per-input skips counted
- :mod:`.curate` — ``facerep curate IN OUT`` (resumable; atomic crops, manifest and shards)
- :mod:`.redundancy` — kNN graph (faiss), near-duplicate groups, dedup
- :mod:`.subset` — nested size subsets and filtered-vs-raw quality subsets

The paper's redundancy experiment on the embedded faces' video mode (issue 6, item 5), as commands
(sizes are small enough for a CPU; grow ``ids``/``steps`` on a GPU)::

    V="synth:ids=50,per_id=4,video_frames=30,size=112"
    # 1. redundancy of the clips and the effective size against frame stride (random default backbone:
    #    pixel-level near-duplicates; pass --backbone DIR of a pre-trained model for semantic ones)
    facerep redundancy "$V" --out runs/redundancy --dedup runs/redundancy/dedup.parquet
    # 2. a short pre-training on all frames and on the deduplicated frames (same steps, same seed)
    facerep pretrain --method simclr --backbone timm:resnet18 --data "$V" --steps 300 --out runs/pt_all
    facerep pretrain --method simclr --backbone timm:resnet18 --data manifest:runs/redundancy/dedup.parquet \
        --steps 300 --out runs/pt_dedup
    # 3. benchmark both backbones on the few-shot suite; compare records
    facerep bench --backbone runs/pt_all --out runs/bench_all
    facerep bench --backbone runs/pt_dedup --out runs/bench_dedup

``runs/redundancy/effective_size.csv`` holds the curve (stride, faces kept, distinct groups).
"""
