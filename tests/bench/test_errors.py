"""Bad input gives one clear message naming the task, the dataset and the problem."""
from __future__ import annotations

import dataclasses

import pytest

from facerep.bench.api import evaluate
from facerep.data.formats import load_dataset
from facerep.data.sample import ListDataset
from facerep.errors import ConfigError, DataError, MissingLabelsError
from tests.bench.conftest import TINY_SYNTH


@pytest.fixture(scope="module")
def synth_samples():
    ds = load_dataset(TINY_SYNTH)
    return [ds[i] for i in range(len(ds))], ds.info


def _list(samples, info, **info_changes):
    return ListDataset(samples, dataclasses.replace(info, **info_changes))


def test_dataset_lacking_labels(small, synth_samples):
    samples, info = synth_samples
    ds = _list(samples, info, name="nomask", provides=info.provides - {"mask"})
    with pytest.raises(MissingLabelsError, match=r"task 'parsing' needs labels mask but dataset 'nomask'"):
        evaluate(backbone="timm:resnet18", tasks="parsing", data=ds, protocol=small)


@pytest.mark.parametrize("fraction", [0.0, 1.5])
def test_bad_fraction(small, fraction):
    with pytest.raises(ConfigError, match=rf"fraction {fraction:g} is outside \(0, 1\]"):
        evaluate(backbone="timm:resnet18", tasks="pose", protocol=dict(small, fractions=[fraction]))


def test_shots_larger_than_smallest_class(small):
    with pytest.raises(ConfigError, match=r"task 'expression', dataset 'synth:.*shots=50 is larger than class"):
        evaluate(backbone="timm:resnet18", tasks="expression", protocol=dict(small, fractions=[], shots=[50]))


def test_identity_leakage_between_official_splits(small, synth_samples):
    samples, info = synth_samples
    train, test = _list(samples[:40], info, name="leaky"), _list(samples[30:], info, name="leaky")
    with pytest.raises(DataError, match=r"task 'pose'.*dataset 'leaky'.*share \d+ identity id"):
        evaluate(backbone="timm:resnet18", tasks="pose", data=(train, test), protocol=small)


def test_empty_test_split(small, synth_samples):
    samples, info = synth_samples
    unlabelled = [dataclasses.replace(s, expression=None) for s in samples[30:]]
    train, test = _list(samples[:30], info, name="noexpr"), _list(unlabelled, info, name="noexpr")
    with pytest.raises(DataError, match=r"task 'expression', dataset 'noexpr'.*test split is empty"):
        evaluate(backbone="timm:resnet18", tasks="expression", data=(train, test), protocol=small)


class _Broken(ListDataset):
    def __getitem__(self, i):
        if i == 3:
            raise DataError("cannot decode image (truncated)", "faces/003.jpg", None)
        return super().__getitem__(i)


def test_bad_sample_propagates_or_is_skipped(small, synth_samples, tmp_path):
    samples, info = synth_samples
    ds = _Broken(samples, dataclasses.replace(info, name="broken"))
    with pytest.raises(DataError, match=r"faces/003.jpg: .*truncated"):
        evaluate(backbone="timm:resnet18", tasks="pose", data=ds, protocol=small)
    df = evaluate(backbone="timm:resnet18", tasks="pose", data=ds, protocol=dict(small, skip_bad=True), out=tmp_path)
    assert len(df)
    skipped = (tmp_path / "skipped.csv").read_text().splitlines()
    assert len(skipped) == 2 and "faces/003.jpg" in skipped[1] and skipped[1].startswith("broken,3,")


def test_unknown_task_lists_valid_ones(small):
    with pytest.raises(Exception, match=r"unknown task 'landmark'.*landmarks2d"):
        evaluate(backbone="timm:resnet18", tasks="landmark", protocol=small)


def test_cli_prints_one_line_error_and_summary(cli, small, tmp_path):
    code, out, err = cli("bench", "--backbone", "timm:resnet18", "--tasks", "pose", "--fractions", "0,1", "--out", tmp_path)
    assert code == 2 and "fraction 0 is outside (0, 1]" in err and "Traceback" not in err
    code, out, err = cli("--quiet", "bench", "--backbone", "timm:resnet18", "--tasks", "pose,attributes",
                         "--fractions", "0.5,1.0", "--seeds", "0", "--image-size", "32", "--out", tmp_path,
                         f"cache_dir={small['cache_dir']}", f"synth={TINY_SYNTH}", "head_steps=30")
    assert code == 0, err
    assert "mae ↓" in out and "mean_balanced_accuracy" in out.replace("…", "") or "mean_balanced" in out
    assert (tmp_path / "records.csv").is_file() and (tmp_path / "config.yaml").is_file()
