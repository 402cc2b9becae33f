"""A new evaluation mode, task or pre-training method is one file each: three files written to a temporary
folder register a toy of each; the toy method pre-trains a backbone through facerep.pretrain, and the bench
runs the toy task (and built-in ones) on that backbone in the toy mode through the public API. And every
registered mode, read from the registry, runs through the protocol."""
from __future__ import annotations

import dataclasses
import importlib
import sys

import numpy as np
import pytest

from facerep.bench.api import evaluate
from facerep.bench.modes import MODES, TRIVIAL, get_mode, list_modes, mode_options
from facerep.bench.modes._base import Mode
from facerep.bench.tasks import TASKS, list_tasks
from facerep.config import PretrainConfig, resolve_config
from facerep.errors import UnknownNameError
from facerep.pretrain.api import pretrain
from facerep.pretrain.methods import METHODS, list_methods
from facerep.sweep.kinds.evaluate import eval_cells

TINY = "synth:ids=10,per_id=6,size=48,seed=0"

TOY_MODE = '''"""A toy evaluation mode in one file: a face takes the targets of the nearest training face."""
import dataclasses

import torch

from facerep.bench.features import task_input
from facerep.bench.modes import register_mode
from facerep.bench.modes._base import Mode
from facerep.bench.sources import TEST, TRAIN


@dataclasses.dataclass(frozen=True)
class NearestOptions:
    batch_size: int                # named like a BenchConfig field: read from the config
    metric: str = "euclidean"      # the mode's own option: its default is kept


class NearestFace:
    def __init__(self, data):
        self.train = data.src.features[TRAIN]
        self.x_test = task_input(data.src.features[TEST], data.test_pos, kind="pooled", grid=0)

    def fit_predict(self, idx, y, *, groups, seed):
        near = torch.cdist(self.x_test, task_input(self.train, idx, kind="pooled", grid=0)).argmin(1)
        return [y[near].float()]


@register_mode("nearest", options=NearestOptions, description="toy: the targets of the nearest training face")
class Nearest(Mode):
    reads = "features"
    built = []  # the options each instance was built with (the test reads them)

    def __init__(self, options):
        super().__init__(options)
        Nearest.built.append(options)

    def skip_reason(self, task):
        return None if task.probe == "ridge" else "has no toy protocol (head space is not target space)"

    def predictor(self, data):
        return NearestFace(data)
'''

TOY_TASK = '''"""A toy task in one file: is the face turned to its left (yaw > 0)?"""
import numpy as np

from facerep.bench.heads import linear_head
from facerep.bench.tasks import register_task
from facerep.bench.tasks._base import Task, to_numpy


@register_task("toy_yaw", description="toy: yaw sign, accuracy")
class ToyYaw(Task):
    name = "toy_yaw"
    needs = frozenset({"pose"})
    primary = ("accuracy", "max")
    probe = "ridge"

    def build_head(self, spec):
        return linear_head(spec.pooled_dim, 1)

    def targets(self, batch):
        return (batch["pose"][:, :1] > 0).float()

    def decode(self, out, batch):
        return (to_numpy(out)[:, 0] >= 0.5).astype(np.int64)

    def truth(self, batch):
        return (to_numpy(batch["pose"])[:, 0] > 0).astype(np.int64)

    def metrics(self, pred, target):
        return {"accuracy": float((pred == target).mean()), "positive_share": float(target.mean())}
'''

TOY_METHOD = '''"""A toy pre-training method in one file: its options dataclass and the method, registered."""
import dataclasses

from torch import nn

from facerep.pretrain.methods import register_method
from facerep.pretrain.methods._base import Method
from facerep.pretrain.views import crop_flip_views


@dataclasses.dataclass
class PullOptions:
    proj_dim: int = 8


@register_method("pull", options=PullOptions, description="toy: pull the projections of two views together")
class Pull(Method):
    def __init__(self, backbone, cfg):
        super().__init__(backbone, cfg)
        self.head = nn.Linear(backbone.num_features, cfg.options.proj_dim)

    @classmethod
    def views(cls, cfg):
        return crop_flip_views(cfg.image_size, [0.5, 1.0], 0.5, n_views=2)

    def training_step(self, batch):
        z0, z1 = (self.head(self.embed(v)) for v in batch["views"])
        return {"loss": (z0 - z1).pow(2).mean()}
'''

FILES = {"facerep_toy_mode": TOY_MODE, "facerep_toy_task": TOY_TASK, "facerep_toy_method": TOY_METHOD}


@pytest.fixture
def toys(tmp_path, monkeypatch):
    """The three toy files imported from a temporary folder; their registrations end with the test."""
    list_modes(), list_tasks(), list_methods()  # the built-in entries first, so the copies below hold them
    for registry in (MODES, TASKS, METHODS):
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    folder = tmp_path / "toys"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    for name, text in FILES.items():
        (folder / f"{name}.py").write_text(text)
    try:
        yield {name: importlib.import_module(name) for name in FILES}
    finally:
        for name in FILES:
            sys.modules.pop(name, None)


def test_a_toy_mode_task_and_method_each_from_one_file(toys, tmp_path, bench_cache):
    assert "nearest" in list_modes() and "toy_yaw" in list_tasks() and "pull" in list_methods()
    cfg = resolve_config(PretrainConfig, None, ["pull.proj_dim=4"], method="pull",
                         backbone="timm:test_resnet", data="synth:ids=4,per_id=2,size=32,seed=1", steps=2,
                         batch_size=4, image_size=32, out=str(tmp_path / "pull"), num_workers=0,
                         accelerator="cpu", warmup_steps=0, log_every=1)
    backbone_dir = pretrain(cfg)
    assert (backbone_dir / "backbone.safetensors").is_file()

    df = evaluate(backbone=str(backbone_dir), tasks="toy_yaw,pose,expression", data=TINY, mode="nearest",
                  image_size=32, fractions=[0.5, 1.0], seeds=[0, 1], batch_size=16,
                  cache_dir=str(bench_cache),
                  out=str(tmp_path / "bench"))
    built = toys["facerep_toy_mode"].Nearest.built
    # a field named like the config's is read from it, the mode's own field keeps its default
    assert built and built[-1].batch_size == 16 and built[-1].metric == "euclidean"
    assert set(df["task"]) == {"toy_yaw", "pose"}  # expression skipped by the mode (a note says so)
    assert set(df["mode"]) == {"nearest", TRIVIAL}
    toy = df[(df["task"] == "toy_yaw") & (df["metric"] == "accuracy")]
    assert len(toy) == 2 * 2 * 2  # 2 fractions x 2 seeds, the mode and the trivial baseline
    assert toy["value"].between(0.0, 1.0).all()
    share = df[(df["task"] == "toy_yaw") & (df["metric"] == "positive_share")]["value"].iloc[0]
    trivial = toy[toy["mode"] == TRIVIAL]["value"]
    assert all(np.isclose(v, share) or np.isclose(v, 1 - share) for v in trivial)  # one class's share
    half = df[(df["mode"] == "nearest") & (df["fraction"] == 0.5)]["n_train"]
    full = df[(df["mode"] == "nearest") & (df["fraction"] == 1.0)]["n_train"]
    assert half.max() < full.min()


def test_the_sweep_and_an_unknown_mode_read_the_mode_registry(toys, tmp_path):
    block = {"tasks": ["toy_yaw"], "modes": ["nearest"], "baselines": ["timm:test_resnet"]}
    cells = eval_cells(block, tmp_path / "spec.yaml", [])
    assert [c.config["mode"] for c in cells] == ["nearest"]
    with pytest.raises(UnknownNameError, match="nearest"):
        evaluate(tasks="toy_yaw", mode="nearst", data=TINY)


@pytest.mark.parametrize("name", list_modes())
def test_every_registered_mode_runs_through_the_protocol(name, small, tmp_path):
    mode_cls, options = get_mode(name), mode_options(name)
    assert issubclass(mode_cls, Mode) and mode_cls.name == name and dataclasses.is_dataclass(options)
    assert mode_cls.__module__ == options.__module__  # the options live in the mode's own file
    assert mode_cls.reads in ("features", "crops")
    df = evaluate(backbone="timm:test_resnet", tasks=["pose", "landmarks2d"], mode=name,
                  **dict(small, finetune_epochs=1, head_steps=5))
    assert "pose" in set(df["task"]) and set(df["mode"]) == {name, TRIVIAL}
    pose = df[(df["task"] == "pose") & (df["metric"] == "mae") & (df["mode"] == name)]
    assert len(pose) == 1 and np.isfinite(pose["value"]).all()
