"""Verification from a dataset's own pairs: a pairs CSV with no identities (scored from the raw pooled features,
or by heads trained on other data) and LFW's layout (every pair tested)."""
from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from facerep.bench.api import bench, make_config
from facerep.data.synth import SynthDataset
from facerep.data.synth.exporter import export
from tests.bench.conftest import TINY_SYNTH


@pytest.fixture(scope="module")
def pairs_csv(tmp_path_factory) -> str:
    """60 same and 60 different pairs of embedded faces, as ``file_x,file_y,same`` (no identities)."""
    root = tmp_path_factory.mktemp("pairs")
    export(SynthDataset(ids=12, per_id=4, size=48, seed=7), root, ["imagefolder"])
    people = sorted((root / "imagefolder" / "identity").iterdir())
    files = [sorted(p.iterdir()) for p in people]
    same = [(a, b) for f in files for a, b in itertools.combinations(f, 2)][:60]
    rng = np.random.default_rng(0)
    diff = []
    while len(diff) < 60:
        i, j = rng.choice(len(files), 2, replace=False)
        diff.append((files[i][rng.integers(4)], files[j][rng.integers(4)]))
    order = rng.permutation(120)
    rows = [(*(same + diff)[k], int(k < 60)) for k in order]
    lines = ["file_x,file_y,same"] + [f"{a.relative_to(root)},{b.relative_to(root)},{s}" for a, b, s in rows]
    (root / "pairs.csv").write_text("\n".join(lines) + "\n")
    return f"pairs:{root / 'pairs.csv'}"


def _images(spec: str) -> int:
    """Distinct images named in a pairs CSV."""
    pairs = pd.read_csv(spec.split(":", 1)[1])
    return len(set(pairs["file_x"]) | set(pairs["file_y"]))


def _run(tmp_path, bench_cache, data: dict, **options) -> pd.DataFrame:
    cfg = make_config(dict(tasks=["recognition"], fractions=[1.0], seeds=[0, 1], image_size=32, data=data,
                           cache_dir=str(bench_cache), out=str(tmp_path / "b"), **options))
    return bench(cfg)[0]


def test_a_pairs_csv_is_verified_from_the_raw_features(pairs_csv, tmp_path, bench_cache):
    """Regression: ``pairs:FILE.csv`` stopped with "task 'recognition' needs labels identity"."""
    df = _run(tmp_path, bench_cache, {"recognition": pairs_csv})
    acc = df[df.metric == "verification_accuracy"].set_index("mode")
    assert set(acc.index) == {"unsupervised", "trivial"}
    assert acc.loc["trivial", "value"] == 0.5
    assert 0.5 < acc.loc["unsupervised", "value"] <= 1.0  # same-person pairs of rendered faces are closer
    assert (acc["n_train"] == 0).all() and (acc["n_test"] == _images(pairs_csv)).all()
    assert "rank1" not in set(df.metric)  # no identities to rank
    splits = pd.read_csv(tmp_path / "b" / "splits.csv")
    assert splits.iloc[0]["grouping"] == "fixed test set (no training data)"


def test_a_pairs_csv_with_heads_trained_on_other_data(pairs_csv, tmp_path, bench_cache):
    df = _run(tmp_path, bench_cache, {"recognition": pairs_csv}, train_data={"recognition": TINY_SYNTH})
    acc = df[(df.metric == "verification_accuracy")]
    linear = acc[acc["mode"] == "linear"]
    assert len(linear) == 2 and (linear["n_test"] == _images(pairs_csv)).all() and (linear["n_train"] == 60).all()
    assert linear["dataset"].iloc[0] == f"{pairs_csv} [heads trained on {TINY_SYNTH}]"
    assert (acc[acc["mode"] == "trivial"]["value"] == 0.5).all()


def test_lfw_layout_tests_every_pair(tmp_path, bench_cache):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "formats"))
    from format_fixtures_global import write_pairs

    spec = write_pairs(tmp_path / "lfw", n=8, per_id=4)  # every image is in a pair: no training identities left
    df = _run(tmp_path, bench_cache, {"recognition": spec})
    acc = df[df.metric == "verification_accuracy"].set_index("mode")
    assert acc.loc["unsupervised", "n_test"] == 32 and "rank1" in set(df.metric)


def test_train_data_from_the_command_line(pairs_csv, tmp_path, bench_cache):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "facerep.cli", "bench", "--tasks", "recognition", "--data",
                           f"recognition={pairs_csv}", "--train-data", f"recognition={TINY_SYNTH}",
                           "--image-size", "32", "--out", str(out), f"cache_dir={bench_cache}"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "linear" in set(pd.read_csv(out / "records.csv")["mode"])
