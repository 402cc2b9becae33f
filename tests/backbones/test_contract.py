"""Every registered adapter through the backbone contract, with tiny inputs."""
from __future__ import annotations

import importlib
import sys

import pytest
import torch
from contract_cases import CASES, uncovered, write_frl

from facerep.backbones import BACKBONES, create_backbone, list_adapters
from facerep.backbones.base import Backbone
from facerep.errors import ConfigError


def check_contract(model: Backbone, size: int = 64) -> dict:
    assert isinstance(model, torch.nn.Module) and model.num_features > 0
    cfg = model.pretrained_cfg
    assert len(cfg.mean) == 3 and len(cfg.std) == 3 and cfg.input_size > 0
    x = model.normalize(torch.rand(2, 3, size, size))
    with torch.no_grad():
        out = model.forward_features(x)
    assert out["pooled"].shape == (2, model.num_features)
    assert len(out["maps"]) >= 1
    for m in out["maps"]:
        assert m.ndim == 4 and m.shape[0] == 2 and m.shape[2] >= 1
    assert [m.shape[1] for m in out["maps"]] == model.map_channels
    assert torch.isfinite(out["pooled"]).all()
    return out


@pytest.mark.parametrize("adapter", list_adapters())
def test_adapter_contract(adapter, tmp_path):
    assert adapter in CASES, f"backbone adapter {adapter!r} has no contract case in tests/backbones/contract_cases.py"
    specs = CASES[adapter](adapter, tmp_path)
    assert specs
    for spec, size in (s if isinstance(s, tuple) else (s, 64) for s in specs):
        model = create_backbone(spec, image_size=size)
        check_contract(model, size)
        assert model.pretrained_cfg.input_size == size, spec
        # ``arch`` rebuilds the architecture (facerep output dirs reload through it)
        rebuilt = create_backbone(model.arch, image_size=size)
        assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
            {k: v.shape for k, v in model.state_dict().items()}, spec


def test_every_adapter_is_covered():
    assert uncovered(list_adapters()) == []


DUMMY_ADAPTER = """from facerep.backbones import register_backbone


@register_backbone("dummy", description="an adapter with no contract case")
def dummy(name, pretrained=False, **kwargs):
    raise NotImplementedError
"""


def test_coverage_check_reports_a_new_adapter(tmp_path, monkeypatch):
    """The check reads the registry: an adapter registered from another module, with no case, is reported."""
    list_adapters()  # the package's adapters first, so that the copy below holds them
    monkeypatch.setattr(BACKBONES, "_entries", dict(BACKBONES._entries))  # the dummy ends with the test
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "facerep_dummy_adapter.py").write_text(DUMMY_ADAPTER)
    try:
        importlib.import_module("facerep_dummy_adapter")
        assert "dummy" in list_adapters() and uncovered(list_adapters()) == ["dummy"]
    finally:
        sys.modules.pop("facerep_dummy_adapter", None)


def test_vit_maps_are_patch_grid():
    out = check_contract(create_backbone("timm:vit_tiny_patch16_224", image_size=64))
    assert out["maps"][-1].shape[-2:] == (4, 4)


def test_local_roundtrip(tmp_path):
    from facerep.backbones.local import save_backbone

    m = create_backbone("timm:resnet18")
    m.pretrained_cfg.input_size = 64
    save_backbone(m, tmp_path / "bb", method="test", steps=3)
    m2 = create_backbone(str(tmp_path / "bb"))
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(m(x), m2(x))
    assert m2.pretrained_cfg.input_size == 64 and m2.provenance["method"] == "test"
    assert create_backbone(f"local:{tmp_path / 'bb'}").num_features == 512


def test_frl_checkpoint_loads_weights_only(tmp_path):
    import torchvision

    ref = torchvision.models.resnet50()
    m = create_backbone(f"frl:{write_frl(tmp_path / 'frl.pth', ref)}")
    ref.fc = torch.nn.Identity()
    ref.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(m(x), ref(x), atol=1e-5, rtol=0)


def test_bad_specs_are_clear():
    from facerep.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown backbone adapter 'timmm'.*Did you mean 'timm'"):
        create_backbone("timmm:resnet18")
    with pytest.raises(ConfigError, match="unknown timm model 'resnet9999'"):
        create_backbone("timm:resnet9999")
    with pytest.raises(ConfigError, match="ADAPTER:NAME"):
        create_backbone("resnet18")


def test_pretrained_offline_fails_clearly(monkeypatch, tmp_path):
    from facerep.errors import FacerepError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(FacerepError, match="cannot load pretrained weights"):
        create_backbone("timm:resnet18", pretrained=True)


def test_pickle_checkpoint_refused_and_never_runs(tmp_path):
    from facerep.errors import DataError

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"state_dict": {"module.base_net.x": Evil()}}, tmp_path / "evil.pth")
    with pytest.raises(DataError, match="trust-checkpoint"):
        create_backbone(f"frl:{tmp_path / 'evil.pth'}")
    assert not marker.exists()


def test_bench_cli_refuses_pickle_without_trust_flag(tmp_path, cli):
    """The CLI path: `facerep bench --backbone frl:evil.pth` refuses; the payload never runs."""
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"state_dict": {"module.base_net.x": Evil()}}, tmp_path / "evil.pth")
    code, out, err = cli("--quiet", "bench", "--backbone", f"frl:{tmp_path / 'evil.pth'}", "--tasks", "pose",
                         "--out", tmp_path / "b")
    assert code == 2 and "--trust-checkpoint" in err and "Traceback" not in err
    assert not marker.exists()
