"""SynthDataset: determinism, the ``synth:`` format and its options, video mode."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from facerep.data.formats import load_dataset
from facerep.data.sample import LABEL_KINDS, FaceDataset, collate
from facerep.data.synth import SynthDataset, parse_synth_options
from facerep.errors import ConfigError, DataError


def fingerprint(s) -> tuple:
    return (s.image.tobytes(), s.mask.tobytes(), s.landmarks2d.tobytes(), s.landmarks3d.tobytes(), s.au.tobytes(),
            s.expression, s.valence, s.arousal, s.attributes.tobytes(), s.pose.tobytes(), s.identity, s.box)


def test_same_seed_and_index_give_same_bytes_in_any_order():
    a = SynthDataset(ids=4, per_id=3, size=48, seed=7)
    b = SynthDataset(ids=4, per_id=3, size=48, seed=7)
    forward = [fingerprint(a[i]) for i in range(len(a))]
    backward = [fingerprint(b[i]) for i in reversed(range(len(b)))][::-1]
    assert forward == backward
    assert fingerprint(a[-1]) == forward[-1]
    other = SynthDataset(ids=4, per_id=3, size=48, seed=8)
    assert fingerprint(other[0]) != forward[0]
    assert len({f[0] for f in forward}) == len(forward)  # every sample differs


def test_dataloader_workers_give_the_same_batches():
    ds = SynthDataset(ids=2, per_id=3, size=32, seed=1)
    direct = collate([ds[i] for i in range(len(ds))])
    loader = torch.utils.data.DataLoader(ds, batch_size=3, num_workers=2, collate_fn=collate)
    images = torch.cat([b["image"] for b in loader])
    assert torch.equal(images, direct["image"])


def test_load_dataset_spec_and_info():
    ds = load_dataset("synth:ids=3,per_id=2,size=40,seed=1")
    assert isinstance(ds, FaceDataset) and len(ds) == 6
    assert ds.info.provides == frozenset(LABEL_KINDS)
    assert len(ds.info.mask_classes) == 11 and len(ds.info.au_codes) == 12 and len(ds.info.expression_classes) == 8
    assert 8 <= len(ds.info.attribute_names) <= 12
    s = ds[5]
    assert s.labels() == set(LABEL_KINDS) and s.identity == 2 and s.image.shape == (40, 40, 3)
    assert len(load_dataset("synth:")) == 200 * 20
    with pytest.raises(IndexError):
        ds[6]


@pytest.mark.parametrize("options,needle", [
    ("ids=3,colour=red", "unknown option 'colour'"), ("ids=three", "ids='three'"), ("ids", "key=value"),
    ("size=8", "size=8 is out of range"), ("degrade=maybe", "degrade"), ("ids=", "key=value"),
])
def test_bad_options_raise_config_error_naming_them(options, needle):
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[")):
        parse_synth_options(options)


def test_official_split_is_refused():
    assert len(load_dataset("synth:ids=2,per_id=1,size=32", None)) == 2
    with pytest.raises(DataError, match="no official split 'train'"):
        load_dataset("synth:ids=2,per_id=1,size=32", "train")


def test_video_mode_clips_drift_smoothly():
    frames = 10
    ds = SynthDataset(ids=2, per_id=2, size=64, seed=4, video_frames=frames)
    assert len(ds) == 2 * 2 * frames
    clip = [ds[i] for i in range(frames)]
    assert {s.video for s in clip} == {"synth_000000_clip000"} and [s.frame for s in clip] == list(range(frames))
    assert {s.identity for s in clip} == {0} and ds[frames].video == "synth_000000_clip001"
    assert len({s.expression for s in clip}) == 1
    steps = [np.abs(clip[k + 1].landmarks2d - clip[k].landmarks2d).mean() for k in range(frames - 1)]
    others = [ds[j] for j in range(frames, len(ds), 7)]
    jumps = [np.abs(o.landmarks2d - clip[0].landmarks2d).mean() for o in others]
    assert max(steps) < 0.5 * np.mean(jumps), (steps, jumps)
    pose_steps = np.abs(np.diff(np.stack([s.pose for s in clip]), axis=0))
    assert pose_steps.max() < 12.0
    assert not np.array_equal(clip[0].image, clip[1].image)


def test_vary_skin_tone_keeps_geometry_and_mask():
    ds = SynthDataset(ids=2, per_id=2, size=48, seed=2, vary="skin_tone", vary_levels=3)
    assert len(ds) == 2 * 2 * 3 and ds.identity_of(5) == 0 and ds.identity_of(6) == 1
    levels = [ds[i] for i in range(3, 6)]
    for s in levels[1:]:
        assert np.array_equal(s.landmarks2d, levels[0].landmarks2d) and np.array_equal(s.mask, levels[0].mask)
        assert s.expression == levels[0].expression and np.array_equal(s.pose, levels[0].pose)
    assert [s.groups["skin_tone"] for s in levels] == ["light", "medium", "dark"]
    skin = levels[0].mask == 1
    assert levels[0].image[skin].mean() > levels[2].image[skin].mean() + 40


def test_vary_beard_changes_only_the_beard_region():
    ds = SynthDataset(ids=3, per_id=1, size=64, seed=2, vary="beard")
    assert ds.cfg.vary_levels == 2
    for i in range(0, len(ds), 2):
        without, with_ = ds[i], ds[i + 1]
        assert np.array_equal(without.landmarks2d, with_.landmarks2d)
        changed = without.mask != with_.mask
        assert changed.any()
        assert set(np.unique(without.mask[changed])) <= {1} and set(np.unique(with_.mask[changed])) <= {10}
        assert with_.groups["beard"] == "yes" and without.groups["beard"] == "no"
    with pytest.raises(ConfigError, match="vary='nose'"):
        parse_synth_options("vary=nose")
    with pytest.raises(ConfigError, match="vary_levels=3"):
        parse_synth_options("vary=glasses,vary_levels=3")


def test_fast_random_helpers_match_numpy():
    """rng_for's uint32 fast path gives default_rng's streams; uint16s gives integers(0, 2**16), same state."""
    from facerep.data.synth.generator import rng_for, uint16s

    for keys in ((0, 5, 2), (2**32 - 1, 0, 3), (3, 2**40, 2), (7, 12, 4, 6)):
        ref = np.random.default_rng([keys[0] & 0xFFFFFFFF, *keys[1:]])
        assert np.array_equal(rng_for(*keys).random(8), ref.random(8))
    for i in range(200):
        a, b = rng_for(1, i, 2), rng_for(1, i, 2)
        a.normal(size=i % 4)
        b.normal(size=i % 4)
        assert a.integers(0, 1 << 16, 16).tolist() == uint16s(b, 16)
        assert a.bit_generator.state["state"] == b.bit_generator.state["state"]
        assert a.integers(0, 1000, 3).tolist() == b.integers(0, 1000, 3).tolist()
