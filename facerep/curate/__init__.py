"""Dataset curation: detect and align faces, measure quality, find near-duplicates, build study subsets.

- :mod:`.detect` — the detector registry (one file per detector in :mod:`.detectors`)
- :mod:`.align` — 5-point similarity alignment to the ArcFace-style template
- :mod:`.quality` — sharpness, face size, detector score, frontal-ness; ``--min-*`` filters
- :mod:`.walk` — image folders and videos, with per-input skips counted
- :mod:`.curate` — ``facerep curate IN OUT`` (resumable; atomic crops, manifest and shards)
- :mod:`.redundancy` — kNN graph (faiss), near-duplicate groups, dedup
- :mod:`.subset` — nested size subsets and filtered-vs-raw quality subsets
- :mod:`.study` — ``facerep redundancy-study``: the paper's redundancy experiment (issue 6, item 5)

The paper's redundancy experiment on the embedded faces' video mode, as one resumable command (redundancy and
effective size vs frame stride; the same pre-training on all vs deduplicated frames; the bench of both and of
random init; ``DIR/study.csv``)::

    facerep redundancy-study --out runs/redundancy-study          # 7-12 min on 2 shared CPU cores
    facerep redundancy-study --out runs/rs-gpu steps=2000 'tasks=[all]'  # any RedundancyStudyConfig key=value
"""
