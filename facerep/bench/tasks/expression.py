"""``expression``: expression classification with a linear head on the global features of 5-point aligned
crops (pooled + the finest maps, :class:`facerep.bench.sources.CropView`; RAF-DB and AffectNet are aligned so)
-- in linear mode a ridge classifier on one-hot targets (closed form, penalty by leave-one-identity-out
accuracy), when fine-tuning a softmax head (cross-entropy); when the training data has valence / arousal, the
same head also regresses them.

Metrics: ``accuracy``, ``macro_f1`` (unweighted over all expression classes of the dataset), the confusion
matrix as ``confusion_<true>_<pred>`` counts (class ids), and when labelled ``ccc_valence``, ``ccc_arousal``
(Lin's CCC) and ``rmse_valence``, ``rmse_arousal``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from .. import metrics as M
from ..heads import CVLoss, HeldOut, linear_head
from . import register_task
from ._base import HeadSpec, Task, classification_trivial, masked_mse, nanmean0, to_numpy


@register_task("expression",
               description="expression: accuracy, macro-F1, confusion; valence/arousal CCC and RMSE")
class Expression(Task):
    name = "expression"
    needs = frozenset({"expression"})
    primary = ("accuracy", "max")
    shots_by = "class"
    probe = "ridge_classifier"
    crop = "aligned"
    mirror_invariant = True  # the class does not change with a flip (valence / arousal neither)

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info = info
        self.n = len(info.expression_classes) or int(train["expression"].max()) + 1
        self.va = bool("has_valence" in train and train["has_valence"].any() and "has_arousal" in train)

    def classes(self, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(batch["expression"])

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return linear_head(spec.pooled_dim, self.n + (2 if self.va else 0))

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        """[N, 1] class id (NaN = unlabelled), or [N, 3] (class, valence, arousal)."""
        cls = batch["expression"].float()
        cls = torch.where(cls < 0, torch.full_like(cls, float("nan")), cls)[:, None]
        if not self.va:
            return cls
        return torch.cat([cls, batch["valence"][:, None], batch["arousal"][:, None]], dim=1)

    def loss(self, out: torch.Tensor, y: torch.Tensor, head: torch.nn.Module) -> torch.Tensor:
        ok = ~torch.isnan(y[:, 0])
        loss = F.cross_entropy(out[ok, :self.n], y[ok, 0].long()) if ok.any() else out.sum() * 0.0
        return loss + masked_mse(out[:, self.n:], y[:, 1:]) if self.va else loss

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        logits = classification_trivial(y_train[:, 0], n, self.n)
        return torch.cat([logits, nanmean0(y_train[:, 1:]).expand(n, -1)], 1) if self.va else logits

    def vote_targets(self, y: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(torch.nan_to_num(y[:, 0], nan=0).long(), self.n).float()
        onehot[torch.isnan(y[:, 0])] = float("nan")
        return torch.cat([onehot, y[:, 1:]], 1)

    def from_votes(self, v: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.log(v[:, :self.n].clamp(min=1e-6)), v[:, self.n:]], 1)

    def penalty_loss(self) -> CVLoss:
        """:meth:`cv_loss`."""
        return self.cv_loss

    def cv_loss(self, y: torch.Tensor, pred: torch.Tensor) -> HeldOut:
        """The ridge penalty's held-out criterion: the error rate of the argmax over the class columns (1 -
        accuracy, the primary metric) on labelled rows and, as the baseline a penalty must beat, the error of
        always predicting the majority class (:func:`facerep.bench.heads._cv_lambda`; measured on an
        expression folder of 18-35 faces without signal: accuracy 0.08-0.12 without this rule, the majority's
        0.22 with it; CK+48 with 14 labelled faces: 0.43 -> 0.39, still twice the majority). Balanced classes
        (K shots each) have no majority to fall back on and keep the plain choice. Squared error on one-hot
        targets prefers the heavily shrunk predictor, whose argmax is the majority class, whenever the class
        signal is weak."""
        cls = y[:, :self.n]
        ok = ~torch.isnan(cls).any(1)
        if not ok.any():
            return HeldOut(0.0)
        truth = cls[ok].argmax(1)
        err = float((pred[ok, :self.n].argmax(1) != truth).double().mean())
        counts = torch.bincount(truth, minlength=self.n)
        # balanced (K shots per class): no majority to fall back on
        if counts.max() == counts[counts > 0].min():
            return HeldOut(err)
        return HeldOut(err, 1.0 - float(counts.max()) / len(truth))

    def from_scores(self, s: torch.Tensor) -> torch.Tensor:
        """Ridge scores of the one-hot columns are used as logits (argmax decides); valence/arousal as
        fitted."""
        return s

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        o = to_numpy(out)
        return {"class": o[:, :self.n].argmax(1), "va": o[:, self.n:].astype(np.float64)}

    def truth(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        y = to_numpy(self.targets(batch)).astype(np.float64)
        return {"class": y[:, 0], "va": y[:, 1:]}

    def metrics(self, pred: dict[str, np.ndarray], target: dict[str, np.ndarray]) -> dict[str, float]:
        ok = np.isfinite(target["class"])
        t, p = target["class"][ok].astype(np.int64), pred["class"][ok]
        out = {"accuracy": M.accuracy(t, p), "macro_f1": M.macro_f1(t, p, labels=list(range(self.n)))}
        cm = M.confusion(t, p, self.n)
        out.update({f"confusion_{i}_{j}": float(cm[i, j]) for i in range(self.n) for j in range(self.n)})
        for j, kind in enumerate(("valence", "arousal") if self.va else ()):
            okv = np.isfinite(target["va"][:, j])
            if okv.sum() >= 2:
                out[f"ccc_{kind}"] = M.ccc(target["va"][okv, j], pred["va"][okv, j])
                out[f"rmse_{kind}"] = M.rmse(target["va"][okv, j], pred["va"][okv, j])
        return out
