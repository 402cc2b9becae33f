"""The task contract and the small helpers every task shares.

A task sees a *batch*: the dict of :func:`facerep.data.sample.collate` for face crops (labels in crop pixels,
``has_<kind>`` masks) plus what :mod:`facerep.bench.prepare` adds: ``affine`` [N, 2, 3] (original -> crop
pixels), ``orig_landmarks2d`` / ``orig_landmarks3d`` / ``orig_mask`` (lists, original pixels), ``orig_size``
[N, 2] (h, w), ``identity_ids`` / ``subject`` / ``video`` (numpy) and ``index`` (dataset indices).

Head outputs live in the task's *head space* (normalised coordinates, logits …); :meth:`Task.decode` maps them
to original image pixels and units before :meth:`Task.metrics` compares them with :meth:`Task.truth`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ...data.sample import DatasetInfo
from ...data.transforms import affine_scale, invert_affine
from ...errors import MissingLabelsError
from ..heads import CVLoss


@dataclass(frozen=True)
class HeadSpec:
    """What a head is built from: the backbone's feature sizes and the training data's vocabularies.

    pooled_dim: D of ``pooled`` [N, D]; dense_channels / dense_grid: the cached dense map [N, C, G, G];
    levels: (C_i, H_i, W_i) of each native-resolution map a per-pixel head reads (finest first)."""

    pooled_dim: int
    dense_channels: int
    dense_grid: int
    image_size: int
    info: DatasetInfo
    levels: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class TaskSettings:
    """The few bench settings a task reads (built by :mod:`facerep.bench.api` from the BenchConfig): the crop
    side (head space <-> pixels), and the verification pairs drawn when a dataset has none (count, seed)."""

    image_size: int
    n_pairs: int
    split_seed: int


Input = Literal["pooled", "dense", "pixels"]  # [N, D] (+ grid) | [N, C, G, G] | native-resolution maps
Crop = Literal["box", "aligned"]  # face box + margin | 5-point similarity (see bench.sources)
Probe = Literal["ridge", "ridge_classifier", "gradient"]  # how a linear probe of the task is fitted
KnnUse = Literal["vote", "features", "none"]  # kNN votes of training targets | raw features | no kNN protocol


class Task:
    """Base class of benchmark tasks: what a task *is* (the labels it needs, targets, loss, decode, metrics,
    trivial baseline, primary metric) and the typed capabilities a mode checks to fit it. Subclasses set the
    class attributes and implement the abstract methods below."""

    name: ClassVar[str] = ""
    needs: ClassVar[frozenset[str]] = frozenset()
    primary: ClassVar[tuple[str, str]] = ("", "max")  # (metric, "min" | "max")
    # --- capabilities (read by the modes and the protocol) ---
    input: ClassVar[Input] = "pooled"  # what the heads read
    crop: ClassVar[Crop] = "box"  # how the faces are cropped
    # a horizontal flip leaves the labels unchanged (BenchConfig.mirror)
    mirror_invariant: ClassVar[bool] = False
    # ridge: closed-form regression; ridge_classifier: ridge on vote_targets
    probe: ClassVar[Probe] = "gradient"
    # mapped by from_scores (linear mode; fine-tuning's probe trains by gradient); gradient: AdamW on the loss
    # ridge penalties chosen holding out whole identities (else single samples)
    holdout_groups: ClassVar[bool] = True
    # --mode knn: votes of vote_targets, the raw features as output, or none (dense)
    knn: ClassVar[KnnUse] = "vote"
    shots_by: ClassVar[Literal["class", "identity"]] = "identity"  # --shots K per class id or per identity
    subset_groups: ClassVar[bool] = False  # fractions take whole identities (recognition)

    def __init__(self, settings: TaskSettings) -> None:
        self.settings = settings
        self.info: DatasetInfo | None = None
        self.test_info: DatasetInfo | None = None

    # --- data ------------------------------------------------------------------------------------
    def check(self, info: DatasetInfo, dataset: str) -> None:
        """Refuse a dataset that lacks a label kind this task needs (MissingLabelsError naming everything)."""
        missing = sorted(self.needs - set(info.provides))
        if missing:
            raise MissingLabelsError(
                f"task {self.name!r} needs labels {', '.join(missing)} but dataset {dataset!r} provides only "
                f"{', '.join(sorted(info.provides)) or 'none'}")

    def setup(self, info: DatasetInfo, train: dict[str, Any]) -> None:
        """Read vocabularies / sizes from the dataset and its training batch (before any head is built)."""
        self.info = info

    def labelled(self, batch: dict[str, Any]) -> np.ndarray:
        """[N] bool: samples that carry every label kind this task needs."""
        n = len(batch["index"])
        ok = np.ones(n, dtype=bool)
        for kind in self.needs:
            has = batch.get(f"has_{kind}")
            ok &= np.zeros(n, bool) if has is None else np.asarray(has, dtype=bool)
        return ok

    def fixed_test(self, info: DatasetInfo) -> np.ndarray | None:
        """Dataset indices that form the test set whatever the split (e.g. the images of a dataset's own
        verification pairs), or None. The training rows are then the labelled rows outside them, of people
        that are not among them (or the ``--train-data`` source); with none, a task may score its test set
        from the features alone (:meth:`unsupervised`)."""
        return None

    def unsupervised(self) -> bool:
        """Whether the task can be scored with no training rows, from the pooled features alone."""
        return False

    def use_test_info(self, info: DatasetInfo) -> None:
        """The test data's DatasetInfo, when it is another dataset than the training data
        (``--train-data``)."""
        self.test_info = info

    def classes(self, batch: dict[str, Any]) -> np.ndarray | None:
        """[N] class id per sample for stratified subsets and per-class shots; None when the task has none."""
        return None

    # --- training --------------------------------------------------------------------------------
    def build_head(self, spec: HeadSpec) -> nn.Module:  # pragma: no cover - abstract
        """The task's linear-probe head on the inputs ``spec`` describes."""
        raise NotImplementedError

    def finetune_head(self, spec: HeadSpec, *, linear: bool) -> nn.Module:
        """The head fine-tuning trains with the backbone when the task has no decoder
        (:mod:`facerep.bench.finetune_heads`): the field's head unless ``linear`` (``finetune_linear_heads``);
        by default the linear-probe head."""
        return self.build_head(spec)

    def penalty_loss(self) -> CVLoss | None:
        """The held-out criterion ridge penalties are chosen by (:data:`facerep.bench.heads.CVLoss`), or None
        for the squared error."""
        return None

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:  # pragma: no cover - abstract
        """Training targets in head space, [N, ...]; NaN marks a missing value."""
        raise NotImplementedError

    def loss(self, out: torch.Tensor, y: torch.Tensor, head: nn.Module) -> torch.Tensor:
        return masked_mse(out, y)

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        """Head-space output of the trivial predictor for ``n`` samples (default: the training mean)."""
        mean = nanmean0(y_train)
        return mean.expand(n, *mean.shape).clone()

    def vote_targets(self, y: torch.Tensor) -> torch.Tensor:
        """[N, T] values that kNN averages over neighbours (default: the targets themselves)."""
        return y.reshape(len(y), -1)

    def from_votes(self, v: torch.Tensor) -> torch.Tensor:
        """kNN-averaged votes [N, T] -> head-space output."""
        return v

    def from_scores(self, s: torch.Tensor) -> torch.Tensor:
        """Ridge-classifier scores [N, T] (least-squares fits of ``vote_targets``) -> head-space output."""
        return self.from_votes(s)

    # --- evaluation ------------------------------------------------------------------------------
    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def truth(self, batch: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def metrics(self, pred: Any, target: Any) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError


# --- shared helpers --------------------------------------------------------------------------------
def nanmean0(y: torch.Tensor) -> torch.Tensor:
    """Mean over dim 0 ignoring NaN (0 where a column has no value). y: [N, ...] -> [...]."""
    valid = ~torch.isnan(y)
    total = torch.where(valid, y, torch.zeros_like(y)).sum(0)
    return total / valid.sum(0).clamp(min=1)


def masked_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the non-NaN entries of ``y``. out, y: same shape."""
    valid = ~torch.isnan(y)
    if not valid.any():
        return out.sum() * 0.0
    return F.mse_loss(out[valid], y[valid])


def masked_bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy with logits over the non-NaN entries of ``y`` (0/1). logits, y: same shape."""
    valid = ~torch.isnan(y)
    if not valid.any():
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[valid], y[valid])


def to_numpy(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def crop_to_original(points: np.ndarray, affines: np.ndarray) -> np.ndarray:
    """Map crop-pixel points back to original pixels. points: [N, K, 2|3]; affines: [N, 2, 3] (original ->
    crop). A z column (3D landmarks) is divided by the crop scale, as
    :func:`facerep.data.transforms.crop_resize` scales it."""
    out = np.empty_like(points, dtype=np.float64)
    for i, (pts, a) in enumerate(zip(points, affines)):
        inv = invert_affine(a)
        out[i, :, :2] = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
        if pts.shape[1] == 3:
            out[i, :, 2] = pts[:, 2] / affine_scale(a)
    return out


def stack_orig(batch: dict[str, Any], kind: str) -> np.ndarray:
    """Original-pixel labels of ``kind`` ('landmarks2d' | 'landmarks3d') stacked: [N, K, 2|3] float64."""
    return np.stack([np.asarray(v, dtype=np.float64) for v in batch[f"orig_{kind}"]])


def classification_trivial(y: torch.Tensor, n: int, n_classes: int) -> torch.Tensor:
    """Logits [n, C] that always predict the most frequent class of ``y`` ([N] float ids, NaN = missing)."""
    ids = y[~torch.isnan(y)].long()
    counts = torch.bincount(ids, minlength=n_classes)
    out = torch.full((n, n_classes), -10.0)
    out[:, int(torch.argmax(counts))] = 10.0  # argmax: the smallest id among ties
    return out


class BinaryLabelsTask(Task):
    """Shared head/loss/decoding of tasks with several independent 0/1 labels (NaN = unlabelled):
    one logit per label, masked BCE, the majority value as the trivial baseline, decisions at logit 0 (for the
    linear mode's ridge classifier: at a fitted score of 0.5)."""

    probe = "ridge_classifier"

    def loss(self, out: torch.Tensor, y: torch.Tensor, head: torch.nn.Module) -> torch.Tensor:
        return masked_bce(out, y)

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        """Each label's majority value (logits ±10)."""
        return torch.where(nanmean0(y_train) >= 0.5, 10.0, -10.0).expand(n, -1).clone()

    def from_votes(self, v: torch.Tensor) -> torch.Tensor:
        return torch.logit(v.clamp(1e-4, 1 - 1e-4))

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        return (to_numpy(out) >= 0).astype(np.int64)
