"""``facerep backbones --check``: which adapter's layout a checkpoint file fits, read without running it.
(Every adapter, published-checkpoint ones included, meets the backbone contract in test_contract.py.)"""
from __future__ import annotations

import pytest
import torch
from contract_cases import published_files
from published_ckpt import random_state
from test_arcface import iresnet_shapes
from test_dinov2 import dinov2_shapes
from test_mae import mae_shapes

from facerep.backbones import create_backbone
from facerep.backbones.check import check_checkpoint, match_layout, read_meta
from facerep.errors import DataError


def test_check_names_each_layout_and_only_it(tmp_path):
    for layout, path in published_files(tmp_path).items():
        report = check_checkpoint(path)
        assert report.fits[0] == layout, report.text()
        assert set(report.fits) <= ({"clip", "openclip"} if layout == "clip" else {layout})


def test_check_reads_no_tensor_data(tmp_path):
    torch.save({"model": random_state(mae_shapes())}, tmp_path / "mae.pth")
    meta = read_meta(tmp_path / "mae.pth")
    assert meta.container == "model" and all(t.device.type == "meta" for t in meta.state.values())
    assert meta.state["pos_embed"].shape == (1, 17, 128)


def test_frl_layout_is_checked():
    import torchvision

    with torch.device("meta"):
        net = torchvision.models.resnet50()
    state = {f"module.base_net.{k}": v for k, v in net.state_dict().items()}
    state["module.prototypes.weight"] = torch.empty(3000, 128, device="meta")
    r = match_layout("frl", state)
    assert r.fits and "module.prototypes.weight" in r.ignored and "module.base_net.fc.weight" in r.ignored


def test_check_another_layout_names_the_keys_that_do_not_fit(tmp_path, cli):
    """A DINOv2 file with a renamed key fits nothing; the report names the key on both sides."""
    state = random_state(dinov2_shapes())
    state["blocks.0.mlp.fc3.weight"] = state.pop("blocks.0.mlp.fc2.weight")
    torch.save(state, tmp_path / "odd.pth")
    code, out, _ = cli("backbones", "--check", tmp_path / "odd.pth")
    assert code == 1, out
    assert "no adapter loads this file" in out
    assert "dinov2: no" in out and "missing 1: blocks.0.mlp.fc2.weight" in out and "unexpected 1: blocks.0.mlp.fc3.weight" in out
    assert out.index("dinov2: no") < out.index("arcface: no")  # the closest layout comes first
    with pytest.raises(DataError, match="not a mae checkpoint: blocks have layer scale"):
        create_backbone(f"mae:{tmp_path / 'odd.pth'}")


def test_check_never_runs_code_from_the_file(tmp_path, cli):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    state = random_state(iresnet_shapes())
    torch.save({"state_dict": state, "hook": Evil()}, tmp_path / "evil.pth")
    code, out, _ = cli("backbones", "--check", tmp_path / "evil.pth")
    assert not marker.exists()
    assert code == 0 and "needs --trust-checkpoint" in out and "io.open" in out and "layout: arcface" in out
    with pytest.raises(DataError, match="trust-checkpoint"):
        create_backbone(f"arcface:{tmp_path / 'evil.pth'}")
    assert not marker.exists()


def test_check_legacy_format_and_bad_files(tmp_path, cli):
    torch.save(random_state(iresnet_shapes()), tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    assert check_checkpoint(tmp_path / "old.pth").fits == ["arcface"]
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint at all")
    code, _, err = cli("backbones", "--check", tmp_path / "junk.pth")
    assert code == 2 and "junk.pth" in err and "Traceback" not in err
    code, _, err = cli("backbones", "--check", tmp_path / "absent.pth")
    assert code == 2 and "does not exist" in err


def test_file_adapter_roundtrips_through_a_facerep_dir(tmp_path):
    from facerep.backbones.local import save_backbone

    path = published_files(tmp_path)["dinov2"]
    m = create_backbone(f"dinov2:{path}", image_size=56)
    save_backbone(m, tmp_path / "bb", method="published")
    m2 = create_backbone(str(tmp_path / "bb"))
    x = torch.randn(1, 3, 56, 56)
    with torch.no_grad():
        assert torch.equal(m(x), m2(x))
    assert m2.pretrained_cfg.input_size == 56 and m2.pretrained_cfg.extra["source"] == "dinov2"
