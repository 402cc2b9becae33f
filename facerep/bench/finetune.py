"""``--mode finetune``: a copy of the backbone and the task's head trained end to end on the face crops.

AdamW with separate learning rates for the backbone (``finetune_lr_backbone``) and the head
(``finetune_lr_head``), ``finetune_epochs`` passes over the training subset in seeded mini-batches, and
batch-norm statistics frozen, the head initialised by a linear probe (LP-FT), and label-consistent augmentation: each crop is mirrored with probability 0.5 by
:func:`facerep.data.transforms.hflip`, which swaps left/right landmark indices and mask classes and negates
yaw and roll. (Tasks whose landmark scheme has no known left/right correspondence train without flips.)
"""
from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np
import torch

from ..data.sample import FaceSample, collate
from ..data.transforms import hflip
from ..errors import ConfigError
from .features import encode, global_vector, head_spec, stack_images
from .heads import fit_head, param_groups
from .sources import crop_view
from .tasks._base import Task


def _features(model: Any, crops: Sequence[FaceSample], task: Task, cfg: Any) -> torch.Tensor:
    """The task's input, as in the linear mode: the dense grid, or the global vector."""
    view = crop_view(cfg, task)
    out = encode(model, stack_images(crops), strides=view.strides, grid=view.grid,
                 dense=task.input == "dense" or view.global_grid > 0)
    return out["dense"] if task.input == "dense" else global_vector(out["pooled"], out.get("dense"), view.global_grid)


def _can_flip(task: Task, sample: FaceSample, info: Any) -> bool:
    try:
        hflip(sample, info)
    except ConfigError:
        return False
    return True


def _train_frozen_bn(model: torch.nn.Module) -> None:
    """Training mode with batch-norm statistics frozen: few-shot batches are too small to estimate them, and the
    features then match those the head was initialised on and those it is tested on."""
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()


def _frozen(model: Any, crops: Sequence[FaceSample], task: Task, cfg: Any) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat([_features(model, crops[s:s + cfg.batch_size], task, cfg)
                          for s in range(0, len(crops), cfg.batch_size)])


def finetune_predict(task: Task, backbone: Any, src: Any, idx: np.ndarray, test_pos: np.ndarray, y: torch.Tensor,
                     cfg: Any, seed: int) -> torch.Tensor:
    """Fine-tune a copy of ``backbone`` with a new head on train positions ``idx`` (targets ``y`` [n, ...]) and
    return the head-space output on the test positions. The head starts from a linear probe on the initial
    backbone's features (LP-FT, Kumar et al. ICLR 2022), so fine-tuning starts from the linear-mode solution."""
    train_crops, test_crops, info = src.train.crops, src.test.crops, src.train.info
    if train_crops is None or test_crops is None:
        raise ConfigError("fine-tuning needs the face crops in memory")
    torch.manual_seed(seed)
    model = copy.deepcopy(backbone)
    chosen = [train_crops[i] for i in idx]
    x0 = _frozen(model, chosen, task, cfg)
    head = task.build_head(head_spec(x0, cfg, info))
    fit_head(task, head, x0, y, cfg, seed)
    opt = torch.optim.AdamW(param_groups(model, head, cfg.finetune_lr_backbone, cfg.finetune_lr_head),
                            weight_decay=cfg.head_weight_decay)
    flip = cfg.finetune_hflip and _can_flip(task, chosen[0], info)
    rng = np.random.default_rng(seed)
    _train_frozen_bn(model)
    head.train()
    for _ in range(cfg.finetune_epochs):
        order = rng.permutation(len(chosen))
        for start in range(0, len(order), cfg.batch_size):
            part = order[start:start + cfg.batch_size]
            if len(part) < 2 <= len(order):  # batch norm cannot train on a single image
                continue
            samples = [hflip(chosen[i], info) if flip and rng.random() < 0.5 else chosen[i] for i in part]
            target = task.targets(collate(samples)) if flip else y[torch.from_numpy(part)]
            loss = task.loss(head(_features(model, samples, task, cfg)), target, head)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    head.eval()
    x_test = _frozen(model, [test_crops[i] for i in test_pos], task, cfg)
    with torch.no_grad():
        return head(x_test)
