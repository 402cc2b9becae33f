"""Each method's options: registered with the method, set as ``METHOD.KEY=VALUE`` / ``METHOD: {…}``, saved under
the method's name; and a new method with its own options is one file."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys

import lightning as L
import pytest
import yaml
from pretrain_helpers import random_faces

from facerep.config import PretrainConfig, check_options, config_to_dict, resolve_config, save_config
from facerep.errors import ConfigError
from facerep.pretrain.api import pretrain
from facerep.pretrain.methods import METHODS, get_method, list_methods, method_options


def _settable(opts: type) -> tuple[str, object]:
    """A top-level option of ``opts`` and a value other than its default."""
    for f in dataclasses.fields(opts):
        value = getattr(opts(), f.name)
        if isinstance(value, bool):
            return f.name, not value
        if isinstance(value, (int, float)):
            return f.name, value + 1
    raise AssertionError(f"{opts.__name__} has no int, float or bool option")


@pytest.mark.parametrize("name", list_methods())
def test_options_registered_with_the_method_set_saved_and_read_back(tmp_path, name):
    opts = method_options(name)
    assert dataclasses.is_dataclass(opts) and METHODS.entry(name).options is opts
    assert get_method(name).__module__ == opts.__module__  # the options live in the method's own file
    assert PretrainConfig(method=name).options == opts()
    key, value = _settable(opts)
    cfg = resolve_config(PretrainConfig, None, [f"{name}.{key}={value}"], method=name)
    assert isinstance(cfg.options, opts) and getattr(cfg.options, key) == value
    saved = config_to_dict(cfg)
    assert saved[name][key] == value and "options" not in saved
    assert [k for k in saved if k in list_methods()] == [name]  # only the chosen method's section
    assert resolve_config(PretrainConfig, save_config(cfg, tmp_path / "config.yaml")) == cfg


def test_a_config_with_every_methods_section_loads(tmp_path):
    """Configs saved before the options moved beside the methods hold a section per method."""
    sections = {m: dataclasses.asdict(method_options(m)()) for m in list_methods()}
    sections["moco"]["proj_dim"] = 64
    sections["swav"]["n_prototypes"] = 7
    data = {**{k: v for k, v in config_to_dict(PretrainConfig()).items() if k != "swav"}, **sections}
    data["method"] = "moco"
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(data))
    cfg = resolve_config(PretrainConfig, tmp_path / "old.yaml")
    assert cfg.method == "moco" and cfg.options == dataclasses.replace(method_options("moco")(), proj_dim=64)


def test_other_methods_sections_are_checked_then_dropped():
    """One grid's options serve several methods: the swav section is ignored by a moco run, typos are not."""
    cfg = resolve_config(PretrainConfig, method="moco", swav={"n_prototypes": 16}, moco={"proj_dim": 8})
    assert cfg.options.proj_dim == 8 and "swav" not in config_to_dict(cfg)
    with pytest.raises(ConfigError, match=r"unknown option swav\.n_protoypes of pre-training method 'swav'"):
        resolve_config(PretrainConfig, method="moco", swav={"n_protoypes": 16})


def test_options_of_another_method_are_refused(make_cfg):
    cfg = dataclasses.replace(make_cfg("swav"), options=None, method="moco")  # None: the new method's defaults
    assert cfg.options == method_options("moco")()
    cfg.method = "simclr"
    with pytest.raises(ConfigError, match="holds MocoOptions, but pre-training method 'simclr' takes SimclrOptions"):
        check_options(cfg)


TOY_METHOD = '''"""A toy pre-training method, all in one file: its options dataclass and the method, registered together."""
import dataclasses

from torch import nn

from facerep.pretrain.methods import register_method
from facerep.pretrain.methods._base import Method
from facerep.pretrain.views import crop_flip_views


@dataclasses.dataclass
class ToyOptions:
    proj_dim: int = 8
    scale: list[float] = dataclasses.field(default_factory=lambda: [0.5, 1.0])


@register_method("toy", options=ToyOptions, description="toy: pull the projections of two views together")
class Toy(Method):
    def __init__(self, backbone, cfg):
        super().__init__(backbone, cfg)
        self.head = nn.Linear(backbone.num_features, cfg.options.proj_dim)

    @classmethod
    def views(cls, cfg):
        return crop_flip_views(cfg.image_size, cfg.options.scale, 0.5, n_views=2)

    def training_step(self, batch):
        z0, z1 = (self.head(self.embed(v)) for v in batch["views"])
        return {"loss": (z0 - z1).pow(2).mean()}
'''


class _HeadWidth(L.Callback):
    def __init__(self) -> None:
        self.widths: list[int] = []

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.widths.append(module.method.head.out_features)


def test_a_new_method_with_its_options_is_one_file(tmp_path, monkeypatch):
    list_methods()  # the built-in methods first, so that the copy below holds them
    monkeypatch.setattr(METHODS, "_entries", dict(METHODS._entries))  # the toy registration ends with the test
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "facerep_toy_method.py").write_text(TOY_METHOD)
    try:
        importlib.import_module("facerep_toy_method")
        assert "toy" in list_methods()
        cfg = resolve_config(PretrainConfig, None, ["toy.proj_dim=4"], method="toy", backbone="timm:test_resnet",
                             steps=2, batch_size=4, image_size=32, out=str(tmp_path / "out"), num_workers=0,
                             accelerator="cpu", warmup_steps=0, log_every=1)
        probe = _HeadWidth()
        out = pretrain(cfg, dataset=random_faces(8), callbacks=[probe])
        assert probe.widths == [4]  # the override reached the method
        meta = json.loads((out / "backbone.json").read_text())
        assert meta["method"] == "toy" and meta["steps"] == 2
        saved = yaml.safe_load((out / "config.yaml").read_text())
        assert saved["toy"] == {"proj_dim": 4, "scale": [0.5, 1.0]}
        assert resolve_config(PretrainConfig, out / "config.yaml").options == cfg.options
        with pytest.raises(ConfigError, match=r"unknown option toy\.proj_dimm of pre-training method 'toy'"):
            resolve_config(PretrainConfig, None, ["toy.proj_dimm=4"], method="toy")
    finally:
        sys.modules.pop("facerep_toy_method", None)
