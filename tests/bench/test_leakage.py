"""Leakage between the rows a head is fitted on and the rows its penalty is judged on, and between train and test:
mirrored twins, corrupted copies, near-duplicate faces and subject ids taken from file names."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from facerep.bench.api import evaluate
from facerep.bench.robustness import repeat_labels
from facerep.data.synth import SynthDataset
from facerep.data.synth.exporter import export


@pytest.fixture(scope="module")
def expression_folder(tmp_path_factory) -> str:
    """The embedded faces exported as an expression image folder: no identity, subject or video ids, no landmarks."""
    out = tmp_path_factory.mktemp("expr-folder")
    export(SynthDataset(ids=40, per_id=8, size=48, seed=3), out, ["imagefolder"])
    return f"imagefolder:{out}/imagefolder/expression?label=expression"


def test_copies_of_a_face_share_a_group_without_ids():
    y = torch.arange(3.0)
    y2, g = repeat_labels(y, None, 2)
    assert y2.tolist() == [0, 1, 2, 0, 1, 2]
    assert g.tolist() == [0, 1, 2, 0, 1, 2]  # a face and its mirror are held out together
    assert repeat_labels(y, None, 1)[1] is None
    assert repeat_labels(y, np.array([7, 7, 9]), 2)[1].tolist() == [7, 7, 9, 7, 7, 9]


def test_mirrored_twins_do_not_leak_into_the_penalty_search(expression_folder, bench_cache):
    """Regression (real 7-class folder sets fell below the majority class with mirror=true): without subject ids,
    a leave-one-row-out penalty search kept each face's mirror image among the fitted rows, rewarded memorising
    faces with the smallest penalty and predicted noise. The mirrored run must not fall below the run without
    mirrored crops, nor below the majority class."""
    runs = {m: evaluate(backbone="timm:resnet18", tasks="expression", data=expression_folder,
                        protocol=dict(fractions=[0.5, 1.0], seeds=[0], image_size=48, mirror=m, align="off",
                                      cache_dir=str(bench_cache)))
            for m in (True, False)}
    acc = {m: df[(df.metric == "accuracy")].set_index(["mode", "fraction"])["value"] for m, df in runs.items()}
    for f in (0.5, 1.0):
        assert acc[True]["linear", f] >= acc[True]["trivial", f] - 1e-9, (f, acc[True])
        assert acc[True]["linear", f] >= acc[False]["linear", f] - 0.03, (f, acc)
