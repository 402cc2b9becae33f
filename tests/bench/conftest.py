"""Shared fixtures of the bench tests: a tiny synthetic set and a small, fast protocol."""
from __future__ import annotations

import pytest

TINY_SYNTH = "synth:ids=10,per_id=6,size=48,seed=0"


@pytest.fixture(scope="session")
def bench_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("feature-cache")


@pytest.fixture
def small(bench_cache):
    """Protocol options of a small, fast run (32-px crops, short head training)."""
    return dict(image_size=32, fractions=[1.0], seeds=[0], head_steps=60, cache_dir=str(bench_cache),
                synth=TINY_SYNTH, n_pairs=200, batch_size=32)
