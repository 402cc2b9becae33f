"""clip:PATH / openclip:PATH — OpenAI-layout CLIP files written by the test, against open_clip's tower."""
from __future__ import annotations

import pytest
import torch
from open_clip.transformer import QuickGELU, VisionTransformer
from published_ckpt import random_state

from facerep.backbones import create_backbone
from facerep.errors import DataError

W, PATCH, GRID, DEPTH, EMBED = 128, 8, 4, 2, 32  # ViT-B/32 has 768, 32, 7, 12, 512


def reference_tower(act: str, width=W, patch=PATCH, grid=GRID, depth=DEPTH, embed=EMBED, seed=0) -> VisionTransformer:
    """open_clip's VisionTransformer (the OpenAI architecture) with random weights, all norms perturbed."""
    v = VisionTransformer(image_size=grid * patch, patch_size=patch, width=width, layers=depth, heads=width // 64,
                          mlp_ratio=4.0, output_dim=embed, output_tokens=True,
                          act_layer=QuickGELU if act == "quick_gelu" else torch.nn.GELU)
    v.load_state_dict(random_state({k: tuple(t.shape) for k, t in v.state_dict().items()}, seed=seed))
    return v.eval()


def text_tower_shapes(width: int = 64, ctx: int = 8, vocab: int = 50, embed: int = EMBED) -> dict:
    """Keys of the CLIP text tower that share the file with the image tower (ignored by the adapters)."""
    p = "transformer.resblocks.0."
    return {"positional_embedding": (ctx, width), "token_embedding.weight": (vocab, width),
            p + "ln_1.weight": (width,), p + "attn.in_proj_weight": (3 * width, width),
            p + "mlp.c_fc.weight": (4 * width, width), "ln_final.weight": (width,), "ln_final.bias": (width,),
            "text_projection": (width, embed), "logit_scale": ()}


def clip_file_state(tower: VisionTransformer, seed: int = 9) -> dict:
    state = {f"visual.{k}": v for k, v in tower.state_dict().items()}
    state.update(random_state(text_tower_shapes(), seed=seed))
    return state


def assert_matches_reference(m, ref: VisionTransformer, size: int) -> None:
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        out = m.forward_features(x)
        ref_embed, ref_tokens = ref(x)
        tokens = m.model.norm(out["maps"][-1].flatten(2).transpose(1, 2))  # ln_post over the last block's tokens
    torch.testing.assert_close(out["pooled"] @ m.proj, ref_embed, atol=1e-5, rtol=0)
    torch.testing.assert_close(m.embed(x), ref_embed, atol=1e-5, rtol=0)
    torch.testing.assert_close(tokens, ref_tokens, atol=1e-5, rtol=0)


@pytest.mark.parametrize("adapter,act", [("clip", "quick_gelu"), ("openclip", "gelu")])
def test_clip_loads_exactly_and_matches_open_clip(tmp_path, adapter, act):
    ref = reference_tower(act)
    torch.save(clip_file_state(ref), tmp_path / "clip.pt")
    m = create_backbone(f"{adapter}:{tmp_path / 'clip.pt'}")
    assert m.num_features == W and m.proj.shape == (W, EMBED)
    assert m.pretrained_cfg.mean == (0.48145466, 0.4578275, 0.40821073) and m.pretrained_cfg.input_size == 224
    assert_matches_reference(m, ref, GRID * PATCH)
    with torch.no_grad():  # 224 px runs too (position table interpolated)
        assert m.forward_features(torch.randn(1, 3, 224, 224))["maps"][-1].shape == (1, W, 28, 28)


def test_activation_matters(tmp_path):
    """clip (QuickGELU) and openclip (GELU) read the same keys but are different functions."""
    ref = reference_tower("quick_gelu")
    torch.save(clip_file_state(ref), tmp_path / "clip.pt")
    x = torch.randn(1, 3, GRID * PATCH, GRID * PATCH)
    with torch.no_grad():
        a = create_backbone(f"clip:{tmp_path / 'clip.pt'}")(x)
        b = create_backbone(f"openclip:{tmp_path / 'clip.pt'}")(x)
    assert (a - b).abs().max() > 1e-4


def test_open_clip_safetensors_with_ddp_prefix(tmp_path, cli):
    from safetensors.torch import save_file

    ref = reference_tower("gelu", seed=3)
    state = {f"module.{k}": v.contiguous() for k, v in clip_file_state(ref).items()}
    save_file(state, str(tmp_path / "open_clip_model.safetensors"))
    m = create_backbone(f"openclip:{tmp_path / 'open_clip_model.safetensors'}")
    assert_matches_reference(m, ref, GRID * PATCH)
    code, out, _ = cli("backbones", "--check", tmp_path / "open_clip_model.safetensors")
    assert code == 0 and "layout: clip" in out and "also loads as: openclip" in out and "QuickGELU" in out
    assert "farl: no (FaRL releases are ViT-B/16" in out and "ignored 9 keys" in out


def test_torchscript_archive_needs_trust(tmp_path, cli):
    """OpenAI's own .pt files are TorchScript: refused unless trusted; --check reads keys without running it."""
    ref = reference_tower("quick_gelu", seed=4)

    class Clip(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.visual = ref

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.visual(x)[0]

    x = torch.randn(1, 3, GRID * PATCH, GRID * PATCH)
    torch.jit.save(torch.jit.trace(Clip().eval(), x, check_trace=False), str(tmp_path / "ViT-T-8.pt"))
    with pytest.raises(DataError, match="TorchScript.*--trust-checkpoint"):
        create_backbone(f"clip:{tmp_path / 'ViT-T-8.pt'}")
    code, out, _ = cli("backbones", "--check", tmp_path / "ViT-T-8.pt")
    assert code == 0 and "torchscript file" in out and "layout: clip" in out and "needs --trust-checkpoint" in out
    m = create_backbone(f"clip:{tmp_path / 'ViT-T-8.pt'}", trust_checkpoint=True)
    assert_matches_reference(m, ref, GRID * PATCH)


def test_wrong_depth_key_is_named(tmp_path, cli):
    state = clip_file_state(reference_tower("quick_gelu"))
    state["visual.transformer.resblocks.1.mlp.c_fc.weight"] = torch.zeros(4 * W, W + 1)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(DataError, match=r"shape mismatch 1: blocks.1.mlp.fc1.weight: file \(512, 129\)"):
        create_backbone(f"clip:{tmp_path / 'bad.pt'}")
    code, out, _ = cli("backbones", "--check", tmp_path / "bad.pt")
    assert code == 1 and "no adapter loads this file" in out and "blocks.1.mlp.fc1.weight" in out
