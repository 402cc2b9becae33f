"""``facerep.pretrain(cfg) -> OUT``: pre-train a backbone with any method on any facerep dataset.

Writes ``OUT/backbone.safetensors`` + ``OUT/backbone.json`` (loadable by ``facerep bench --backbone OUT``),
``OUT/config.yaml`` (the resolved config), ``OUT/checkpoints/step-*.ckpt`` and ``OUT/logs/`` (CSV metrics).
Runs on one CPU core or many GPUs and nodes: under ``torchrun`` and SLURM, Lightning's cluster
environments supply ranks and addresses; nothing here changes.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch import loggers as pl_loggers
from lightning.pytorch.strategies import DDPStrategy

from .. import progress
from ..backbones import create_backbone
from ..backbones.base import Backbone
from ..backbones.local import save_backbone
from ..config import PretrainConfig, check_options, save_config
from ..data.formats import load_dataset
from ..data.sample import FaceDataset
from ..errors import ConfigError, MissingLabelsError
from ..progress import quiet_libraries
from .checkpoints import (
    AtomicCheckpointIO,
    StepCheckpoint,
    latest_checkpoint,
    list_checkpoints,
    remove_stale_temps,
)
from .data import Subset
from .methods import get_method
from .methods._base import Method, require_vit
from .module import PretrainModule
from .progress_bar import StepProgress

log = logging.getLogger("facerep.pretrain")
PRECISIONS = ("32", "32-true", "bf16-mixed", "16-mixed", "bf16-true")
STRATEGIES = ("auto", "ddp", "fsdp", "ddp_spawn")


def pretrain(
    cfg: PretrainConfig, *, dataset: FaceDataset | None = None, callbacks: Sequence[Any] = ()
) -> Path:
    """Run ``cfg``; returns the output directory. ``dataset`` overrides ``cfg.data`` (in-memory data)."""
    _validate(cfg)
    method_cls = get_method(cfg.method)
    L.seed_everything(cfg.seed, verbose=False)
    backbone = _create_backbone(cfg, method_cls)
    if dataset is None:
        dataset = load_dataset(cfg.data)
    if 0 < cfg.max_samples < len(dataset):
        dataset = Subset(dataset, cfg.max_samples, cfg.seed)
    _check_labels(cfg, method_cls, dataset)
    method = _build_method(cfg, method_cls, backbone)
    out = Path(cfg.out)
    ckpt_dir = out / "checkpoints"
    ckpt_path = _resume_path(cfg, ckpt_dir)
    with quiet_libraries():  # Lightning's banners, tips and warnings only under --verbose
        trainer = _make_trainer(cfg, out, ckpt_dir, list(callbacks))
    if cfg.batch_size % trainer.world_size:
        raise ConfigError(
            f"batch size {cfg.batch_size} cannot be split evenly over {trainer.world_size} processes "
            f"({cfg.devices} device(s) × {cfg.num_nodes} node(s)); use a multiple of {trainer.world_size}"
        )
    if trainer.is_global_zero:
        for stale in remove_stale_temps(out):
            log.warning("removed %s, a partial file of an interrupted run", stale)
        save_config(cfg, out / "config.yaml")

    module = PretrainModule(method, cfg, dataset)
    with warnings.catch_warnings(), quiet_libraries():
        warnings.filterwarnings(
            "ignore", message=".*(does not have many workers|bottleneck|resuming from a checkpoint).*"
        )
        trainer.fit(module, ckpt_path=str(ckpt_path) if ckpt_path else None)
    _save_result(cfg, trainer, module, out)
    return out


def _validate(cfg: PretrainConfig) -> None:
    counts = (("--steps", cfg.steps), ("--batch-size", cfg.batch_size), ("accumulate", cfg.accumulate),
              ("keep_checkpoints", cfg.keep_checkpoints))
    for flag, value in counts:
        if value <= 0:
            raise ConfigError(f"{flag} must be a positive integer, got {value}")
    if cfg.image_size < 16:
        raise ConfigError(f"image_size {cfg.image_size} is too small (>= 16)")
    if cfg.precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    if cfg.strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, got {cfg.strategy!r}")
    check_options(cfg)  # the options are the method's (a changed ``method`` keeps the old ones)


def _check_labels(cfg: PretrainConfig, method_cls: type[Method], dataset: FaceDataset) -> None:
    """Methods that need identities refuse data without them; options that come from the data are filled."""
    if method_cls.needs_identity:
        provides = set(getattr(dataset.info, "provides", ()))
        if "identity" not in provides:
            raise MissingLabelsError(
                f"method {cfg.method!r} needs identity labels, but dataset {cfg.data!r} provides "
                f"{', '.join(sorted(provides)) or 'no labels'}; use a self-supervised method"
            )
    cfg.options = method_cls.options_from_data(cfg.options, dataset)


def _create_backbone(cfg: PretrainConfig, method_cls: type[Method]) -> Backbone:
    """The backbone to train (random init); a ViT-only method refuses a CNN here, before data is read."""
    backbone = create_backbone(cfg.backbone, image_size=cfg.image_size)
    backbone.train()
    if method_cls.vit_only:
        require_vit(backbone, cfg.method)
    return backbone


def _build_method(cfg: PretrainConfig, method_cls: type[Method], backbone: Backbone) -> Method:
    method = method_cls.build(backbone, cfg)
    if cfg.channels_last:
        method = method.to(memory_format=torch.channels_last)
    if cfg.compile:
        backbone.compile()
    return method


def _resume_path(cfg: PretrainConfig, ckpt_dir: Path) -> Path | None:
    latest = latest_checkpoint(ckpt_dir)
    if cfg.resume:
        if latest is None:
            raise ConfigError(f"--resume: no checkpoint in {ckpt_dir} (nothing to continue)")
        log.info("resuming from %s", latest)
        return latest
    if latest is not None:
        raise ConfigError(
            f"{cfg.out} already holds checkpoints ({latest.name}); pass --resume to continue that "
            "run, or choose another --out"
        )
    return None


def _parse_devices(devices: str) -> Any:
    d = str(devices).strip()
    if d in ("auto", "-1"):
        return d if d == "auto" else -1
    if "," in d:
        return [int(x) for x in d.split(",") if x.strip()]
    if d.isdigit():
        return int(d)
    raise ConfigError(f"devices must be a count, 'auto' or a comma list of ids, got {devices!r}")


def _make_trainer(cfg: PretrainConfig, out: Path, ckpt_dir: Path, callbacks: list[Any]) -> Any:
    strategy: Any = cfg.strategy
    if cfg.strategy == "ddp":
        strategy = DDPStrategy(find_unused_parameters=False)
    devices = _parse_devices(cfg.devices)
    multi = (
        cfg.num_nodes > 1
        or devices == -1
        or (isinstance(devices, int) and devices > 1)
        or (isinstance(devices, list) and len(devices) > 1)
    )
    on_gpu = cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available())
    if not progress.QUIET:
        callbacks = [*callbacks, StepProgress(cfg.method, cfg.steps, cfg.batch_size * cfg.accumulate)]
    return L.Trainer(
        max_steps=cfg.steps,
        accelerator=cfg.accelerator,
        devices=devices,
        num_nodes=cfg.num_nodes,
        strategy=strategy,
        precision=cfg.precision,  # type: ignore[arg-type]  # a str from the config; Trainer validates it
        accumulate_grad_batches=cfg.accumulate,
        sync_batchnorm=cfg.sync_batchnorm and multi and on_gpu,  # torch's SyncBatchNorm is CUDA-only
        use_distributed_sampler=False,
        logger=_loggers(cfg, out),
        callbacks=[StepCheckpoint(ckpt_dir, cfg.checkpoint_every, cfg.keep_checkpoints), *callbacks],
        plugins=[AtomicCheckpointIO()],
        enable_progress_bar=False,  # facerep's own bar (StepProgress)
        enable_model_summary=False,
        log_every_n_steps=max(1, cfg.log_every),
        num_sanity_val_steps=0,
        limit_val_batches=0,
        default_root_dir=str(out),
        enable_checkpointing=False,
    )


def _loggers(cfg: PretrainConfig, out: Path) -> list[Any]:
    result: list[Any] = []
    for name in cfg.loggers:
        if name == "csv":
            result.append(pl_loggers.CSVLogger(save_dir=str(out), name="logs"))
        elif name == "tensorboard":
            _require("tensorboard", "pip install tensorboard")
            result.append(pl_loggers.TensorBoardLogger(save_dir=str(out), name="tensorboard"))
        elif name == "wandb":
            _require("wandb", "pip install wandb")
            result.append(pl_loggers.WandbLogger(save_dir=str(out), project="facerep"))
        else:
            raise ConfigError(f"unknown logger {name!r}; valid: csv, tensorboard, wandb")
    return result


def _require(module: str, pip_line: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"logger {module!r} is not installed: {pip_line}")


def _save_result(cfg: PretrainConfig, trainer: Any, module: Any, out: Path) -> None:
    """Gather the trained backbone (also from sharded FSDP state) and write it on rank 0."""
    state = trainer.strategy.lightning_module_state_dict()
    skipped = int(trainer.strategy.reduce(torch.tensor(float(module.n_skipped)), reduce_op="sum").item())
    if not trainer.is_global_zero:
        return
    prefix = "method.backbone."
    backbone = create_backbone(cfg.backbone, image_size=cfg.image_size)
    backbone.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
    if skipped:
        log.warning("%d corrupt or unusable samples were skipped (see backbone.json)", skipped)
    save_backbone(
        backbone,
        out,
        method=cfg.method,
        data=cfg.data,
        steps=int(trainer.global_step),
        seed=cfg.seed,
        image_size=cfg.image_size,
        batch_size=cfg.batch_size,
        skipped_samples=skipped,
        skipped_examples=module.skipped_examples[:20],
        checkpoints=[p.name for p in list_checkpoints(out / "checkpoints")],
    )
    save_config(cfg, out / "config.yaml")
