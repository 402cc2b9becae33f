"""``--mode finetune``: a copy of the backbone and the task's head trained end to end on the face crops.

Heads: the decoders the field fine-tunes with where a task has one (:mod:`facerep.bench.finetune_heads`:
heatmaps with a soft-argmax decode for ``landmarks2d``, an FPN decoder for ``parsing``; recognition's head
adds an ArcFace margin), trained from their initialisation together with the backbone; every other task (and
every task with
``finetune_linear_heads``) fine-tunes its linear-probe head, initialised by a linear probe on the initial
backbone's features (LP-FT, Kumar et al. ICLR 2022), so fine-tuning starts from the linear-mode solution.

AdamW with separate learning rates for the backbone (``finetune_lr_backbone``) and the head
(``finetune_lr_head``), ``finetune_epochs`` passes over the training subset in seeded mini-batches, batch-norm
statistics frozen, and label-consistent augmentation: each crop is mirrored with probability 0.5 by
:func:`facerep.data.transforms.hflip`, which swaps left/right landmark indices and mask classes and negates
yaw and roll. (Tasks whose landmark scheme has no known left/right correspondence train without flips.)
"""
from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ...data.sample import FaceSample, collate
from ...data.transforms import hflip
from ...errors import ConfigError
from ..features import encode, global_vector, head_spec, stack_images
from ..finetune_heads import Decoder, build_decoder, has_decoder
from ..heads import fit_head
from ..pixels import fit_pixel_probe
from ..settings import FeatureSettings, HeadSettings, ViewSettings
from ..sources import crop_view
from ..tasks._base import HeadSpec, Task
from . import register_mode
from ._base import Mode, Predictor, TaskData
from .linear import pixel_probe

Inputs = Callable[[Sequence[FaceSample]], Any]  # crops -> the head's input (a tensor, or native maps)


@dataclass(frozen=True)
class FinetuneOptions:
    """``--mode finetune``: epochs, learning rates, flips and heads; the heads' and crops' settings; the batch
    size and native strides of the feature settings."""

    finetune_epochs: int
    finetune_lr_backbone: float
    finetune_lr_head: float
    finetune_lr_decoder: float
    finetune_hflip: bool
    finetune_linear_heads: bool
    head: HeadSettings
    view: ViewSettings
    features: FeatureSettings


@register_mode("finetune", options=FinetuneOptions,
               description="backbone and head trained end to end on the face crops")
class FinetuneMode(Mode):
    reads = "crops"
    options: FinetuneOptions

    def predictor(self, data: TaskData) -> Predictor:
        return Finetuned(data, self.options)


class Finetuned:
    """A fresh fine-tuned copy of the backbone per training subset (:class:`Predictor`; no corrupted test
    sets: the API refuses corruptions in modes that read crops)."""

    def __init__(self, data: TaskData, options: FinetuneOptions) -> None:
        self.data, self.options = data, options

    def fit_predict(self, idx: np.ndarray, y: torch.Tensor, *, groups: np.ndarray | None,
                    seed: int) -> list[torch.Tensor]:
        d = self.data
        return [finetune_predict(d.task, d.model, d.src, idx, d.test_pos, y, options=self.options, seed=seed)]


def _features(model: Any, crops: Sequence[FaceSample], task: Task, opts: FinetuneOptions) -> Any:
    """The task's input, as in the linear mode: the dense grid, the global vector, or (tasks of input
    "pixels") the maps of ``native_strides`` at native resolution."""
    if task.input == "pixels":
        return _native(model, crops, opts)
    view = crop_view(opts.view, task)
    out = encode(model, stack_images(crops), strides=view.strides, grid=view.grid,
                 dense=task.input == "dense" or view.global_grid > 0)
    if task.input == "dense":
        return out["dense"]
    return global_vector(out["pooled"], out.get("dense"), view.global_grid)


def _native(model: Any, crops: Sequence[FaceSample], opts: FinetuneOptions) -> list[torch.Tensor]:
    """The backbone maps of ``native_strides`` at their own resolution, finest first:
    [[B, C_i, H_i, W_i], …]."""
    out = encode(model, stack_images(crops), strides=(), grid=1, dense=False,
                 native=opts.features.native_strides)
    return out["native"]


def _can_flip(task: Task, sample: FaceSample, info: Any) -> bool:
    try:
        hflip(sample, info)
    except ConfigError:
        return False
    return True


def _train_frozen_bn(model: torch.nn.Module) -> None:
    """Training mode with batch-norm statistics frozen: few-shot batches are too small to estimate them, and
    the features then match those the head was initialised on and those it is tested on."""
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()


def _frozen(model: Any, crops: Sequence[FaceSample], inputs: Inputs, batch_size: int) -> Any:
    """``inputs`` of every crop in eval mode without gradients, batch by batch, concatenated (level by level
    for lists of maps)."""
    model.eval()
    with torch.no_grad():
        parts = [inputs(crops[s:s + batch_size]) for s in range(0, len(crops), batch_size)]
    if isinstance(parts[0], list):
        return [torch.cat(level) for level in zip(*parts)]
    return torch.cat(parts)


def _levels_spec(model: Any, crop: FaceSample, opts: FinetuneOptions, info: Any) -> HeadSpec:
    """The HeadSpec of a decoder: the native maps' (C, H, W), from one crop."""
    maps = _frozen(model, [crop], lambda c: _native(model, c, opts), opts.features.batch_size)
    return HeadSpec(0, 0, 0, opts.head.image_size, info, levels=_levels(maps))


def _levels(maps: list[torch.Tensor]) -> tuple[tuple[int, int, int], ...]:
    """(C, H, W) of each map [B, C, H, W]."""
    return tuple((int(m.shape[1]), int(m.shape[2]), int(m.shape[3])) for m in maps)


def _linear_head(task: Task, model: Any, chosen: list[FaceSample], y: torch.Tensor, opts: FinetuneOptions,
                 seed: int) -> tuple[torch.nn.Module, Inputs, Callable[..., torch.Tensor]]:
    """The task's linear-probe head, fitted on the initial backbone's features of ``chosen`` (LP), with its
    input function and training loss (LP-FT)."""
    hs = opts.head
    inputs: Inputs = functools.partial(_features, model, task=task, opts=opts)
    x0 = _frozen(model, chosen, inputs, opts.features.batch_size)
    head: torch.nn.Module
    if task.input == "pixels":
        probe = pixel_probe(task, hs.image_size, _levels(x0))

        def reader(rows: np.ndarray) -> list[torch.Tensor]:
            return [m[torch.from_numpy(np.asarray(rows))] for m in x0]

        fit_pixel_probe(probe, [reader], np.arange(len(chosen)), y, None, per_class=hs.pixels_per_class,
                        seed=seed, n_classes=probe.probe.last.out_features, power=hs.pixels_class_power)
        head = probe
    else:
        spec = head_spec(x0, image_size=hs.image_size, dense_grid=hs.dense_grid, info=task.info)
        head = task.finetune_head(spec, linear=opts.finetune_linear_heads)
        head = fit_head(task, head, x0, y, settings=hs, seed=seed, ridge_classifier=False)
    return head, inputs, lambda x, t: task.loss(head(x), t, head)


def finetune_predict(task: Task, backbone: Any, src: Any, idx: np.ndarray, test_pos: np.ndarray,
                     y: torch.Tensor, *, options: FinetuneOptions, seed: int) -> torch.Tensor:
    """Fine-tune a copy of ``backbone`` with a new head on train positions ``idx`` (targets ``y`` [n, ...])
    and return the head-space output on the test positions: with the task's decoder, or its linear-probe
    head initialised by a linear probe on the initial backbone's features."""
    train_crops, test_crops, info = src.train.crops, src.test.crops, src.train.info
    if train_crops is None or test_crops is None:
        raise ConfigError("fine-tuning needs the face crops in memory")
    torch.manual_seed(seed)
    model = copy.deepcopy(backbone)
    chosen = [train_crops[i] for i in idx]
    opts, batch = options, options.features.batch_size
    decoder: Decoder | None = None
    step_loss: Callable[..., torch.Tensor]
    if not opts.finetune_linear_heads and has_decoder(task):
        decoder = build_decoder(task, _levels_spec(model, chosen[0], opts, info))
    if decoder is not None:
        head: torch.nn.Module = decoder
        inputs: Inputs = functools.partial(_native, model, opts=opts)
        step_loss = decoder.train_loss
        _warm_up(decoder, [m.half() for m in _frozen(model, chosen, inputs, batch)], y, opts, seed)
    else:
        head, inputs, step_loss = _linear_head(task, model, chosen, y, opts, seed)
    lr_head = opts.finetune_lr_decoder if decoder is not None else opts.finetune_lr_head
    _train(model, head, inputs, step_loss, task, chosen, y, opts, seed, info, lr_head)
    head.eval()
    test = [test_crops[i] for i in test_pos]
    model.eval()
    with torch.no_grad():
        return torch.cat([head(inputs(test[s:s + batch])) for s in range(0, len(test), batch)])


def _warm_up(decoder: Decoder, maps: list[torch.Tensor], y: torch.Tensor, opts: FinetuneOptions,
             seed: int) -> None:
    """Train a decoder alone on the initial backbone's maps of the training faces (float16, [[n, C_i, H_i,
    W_i], …]; ``head_steps`` AdamW steps on seeded mini-batches of ``batch_size`` at ``finetune_lr_decoder``):
    the decoders' counterpart of LP-FT's linear probe, so that joint fine-tuning does not start from a random
    head."""
    opt = torch.optim.AdamW(decoder.parameters(), lr=opts.finetune_lr_decoder,
                            weight_decay=opts.head.head_weight_decay)
    gen = torch.Generator().manual_seed(seed)
    decoder.train()
    for _ in range(opts.head.head_steps):
        idx = torch.randperm(len(y), generator=gen)[:opts.features.batch_size]
        loss = decoder.train_loss([m[idx].float() for m in maps], y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def _train(model: Any, head: torch.nn.Module, inputs: Inputs, step_loss: Callable[..., torch.Tensor],
           task: Task, chosen: list[FaceSample], y: torch.Tensor, opts: FinetuneOptions, seed: int, info: Any,
           lr_head: float) -> None:
    """``finetune_epochs`` passes of AdamW over ``chosen`` in seeded mini-batches, label-consistent flips."""
    opt = torch.optim.AdamW(param_groups(model, head, opts.finetune_lr_backbone, lr_head),
                            weight_decay=opts.head.head_weight_decay)
    flip = opts.finetune_hflip and _can_flip(task, chosen[0], info)
    batch = opts.features.batch_size
    rng = np.random.default_rng(seed)
    _train_frozen_bn(model)
    head.train()
    for _ in range(opts.finetune_epochs):
        order = rng.permutation(len(chosen))
        for start in range(0, len(order), batch):
            part = order[start:start + batch]
            if len(part) < 2 <= len(order):  # batch norm cannot train on a single image
                continue
            samples = [hflip(chosen[i], info) if flip and rng.random() < 0.5 else chosen[i] for i in part]
            target = task.targets(collate(samples)) if flip else y[torch.from_numpy(part)]
            loss = step_loss(inputs(samples), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def fan_in(head: torch.nn.Module) -> int:
    """Inputs per output unit of the head's last layer (scales its fine-tuning learning rate)."""
    last = getattr(head, "last", None)
    w = getattr(last, "weight", None)
    return int(w[0].numel()) if w is not None else 1


def param_groups(backbone: torch.nn.Module, head: torch.nn.Module, lr_backbone: float,
                 lr_head: float) -> list[dict[str, Any]]:
    """AdamW parameter groups with separate learning rates for the backbone and the head (fine-tuning). The
    head's rate is ``lr_head × min(1, 512 / fan_in)``: Adam moves every weight by about lr, so a wide layer (a
    landmark head on a flattened grid has ~25k inputs) would otherwise move its outputs by hundreds per
    step."""
    lr_head = lr_head * min(1.0, 512.0 / fan_in(head))
    return [{"params": [p for p in backbone.parameters() if p.requires_grad], "lr": lr_backbone},
            {"params": [p for p in head.parameters() if p.requires_grad], "lr": lr_head}]
