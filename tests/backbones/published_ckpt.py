"""Helpers for the published-checkpoint tests: random tensors under released key names, and an
independent functional ViT used as a reference forward (written from the papers' definitions)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_state(shapes: dict[str, tuple[int, ...]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors with the given names and shapes; norm scales near 1, variances positive."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, shape in shapes.items():
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(7)
        elif k.endswith("running_var"):
            out[k] = torch.rand(shape, generator=g) + 0.5
        elif _is_scale(k):
            out[k] = 1.0 + 0.1 * torch.randn(shape, generator=g)
        else:
            out[k] = 0.05 * torch.randn(shape, generator=g)
    return out


def _is_scale(k: str) -> bool:
    leaf = k.rsplit(".", 2)
    return k.endswith(".weight") and any(s in leaf[-2] for s in ("ln", "norm", "bn", "features"))


def vit_block_shapes(prefix: str, dim: int, hidden: int, names: dict[str, str]) -> dict[str, tuple[int, ...]]:
    """Shapes of one pre-norm transformer block; ``names`` maps the roles (n1, qkv_w, qkv_b, proj, n2, fc1, fc2)."""
    s: dict[str, tuple[int, ...]] = {}
    for role, shape in (("n1", (dim,)), ("n2", (dim,))):
        s[f"{prefix}{names[role]}.weight"], s[f"{prefix}{names[role]}.bias"] = shape, shape
    s[prefix + names["qkv_w"]], s[prefix + names["qkv_b"]] = (3 * dim, dim), (3 * dim,)
    for role, o, i in (("proj", dim, dim), ("fc1", hidden, dim), ("fc2", dim, hidden)):
        s[f"{prefix}{names[role]}.weight"], s[f"{prefix}{names[role]}.bias"] = (o, i), (o,)
    return s


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


def ref_attention(x: torch.Tensor, w_qkv: torch.Tensor, b_qkv: torch.Tensor, w_o: torch.Tensor, b_o: torch.Tensor,
                  heads: int) -> torch.Tensor:
    """Multi-head self-attention written out: x [B, N, D] -> [B, N, D]."""
    b, n, d = x.shape
    q, k, v = (x @ w_qkv.T + b_qkv).reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1)
    return (att @ v).transpose(1, 2).reshape(b, n, d) @ w_o.T + b_o


def ref_vit(x: torch.Tensor, sd: dict[str, torch.Tensor], *, depth: int, heads: int, eps: float = 1e-6,
            act=F.gelu, layer_scale: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A timm/MAE/DINOv2-named ViT (patch_embed.proj, cls_token, pos_embed, blocks.N.*, norm) at its trained
    grid. x: [B, 3, H, W] -> (normed cls [B, D], last block's patch tokens before the norm [B, N, D])."""
    t = F.conv2d(x, sd["patch_embed.proj.weight"], sd.get("patch_embed.proj.bias"),
                 stride=sd["patch_embed.proj.weight"].shape[-1]).flatten(2).transpose(1, 2)
    t = torch.cat([sd["cls_token"].expand(len(t), -1, -1), t], 1) + sd["pos_embed"]
    d = t.shape[-1]
    for i in range(depth):
        p = f"blocks.{i}."
        ls1 = sd[p + "ls1.gamma"] if layer_scale else 1.0
        ls2 = sd[p + "ls2.gamma"] if layer_scale else 1.0
        h = F.layer_norm(t, (d,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], eps)
        t = t + ls1 * ref_attention(h, sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"],
                                    sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"], heads)
        h = F.layer_norm(t, (d,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], eps)
        h = act(h @ sd[p + "mlp.fc1.weight"].T + sd[p + "mlp.fc1.bias"]) @ sd[p + "mlp.fc2.weight"].T + sd[p + "mlp.fc2.bias"]
        t = t + ls2 * h
    cls = F.layer_norm(t[:, 0], (d,), sd["norm.weight"], sd["norm.bias"], eps)
    return cls, t[:, 1:]


def tokens_to_map(tokens: torch.Tensor) -> torch.Tensor:
    """[B, N, D] patch tokens -> [B, D, sqrt(N), sqrt(N)]."""
    side = math.isqrt(tokens.shape[1])
    return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)
