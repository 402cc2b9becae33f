"""``recognition``: train and test identities are disjoint. The head is trained on train identities: in linear
mode a least-squares (ridge) fit of one-hot training identities, whose centred scores are the embedding
(closed form, the penalty chosen by leave-one-identity-out error); when fine-tuning, a linear projection to a
128-d embedding with a cosine-softmax classifier over the training identities (scale 16) trained with
ArcFace's additive angular margin (0.3; none with ``finetune_linear_heads``). Test identities are compared by
cosine similarity of their embeddings (``--mode knn``: of the raw pooled features).

Pairs: the dataset's own (``DatasetInfo.extra["pairs"]``: rows (index_i, index_j, same) in dataset indices, or
the ``pairs`` format's dict of arrays ``i``, ``j``, ``same``) when it has them: then, as in LFW's protocol,
the images of the pairs are the test set and every pair is scored; the heads train on the dataset's other
images of other people, or on ``--train-data recognition=SPEC`` (LFW's "unrestricted, labeled outside data"),
and with neither the pairs are scored by the cosine of the raw pooled features (mode ``unsupervised``, as
LFW's unsupervised setting). Without pairs of its own, ``n_pairs`` balanced same/different pairs drawn among
the test samples with ``split_seed`` (:func:`facerep.data.splits.recognition_pairs`; the same pairs for every
fraction and seed). Metrics: ``verification_accuracy`` (LFW 10-fold best-threshold protocol, primary) and its
fold std, ``roc_auc``, ``tar@far=1e-2``, ``tar@far=1e-3`` and ``rank1`` (gallery: the first test image of each
identity, probes: the rest).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from ...data.sample import DatasetInfo
from ...data.splits import recognition_pairs
from ...errors import DataError
from .. import metrics as M
from ..heads import EmbeddingHead, linear_head
from . import register_task
from ._base import HeadSpec, Task, to_numpy

EMBED_DIM = 128
ARC_MARGIN = 0.3  # fine-tuning: ArcFace's additive angular margin (radians; ArcFace uses 0.5 at scale 64)
N_FOLDS = 10  # folds of the LFW verification protocol


@register_task("recognition", description="face recognition on disjoint identities: LFW verification, "
                                          "ROC AUC, TAR@FAR, rank-1")
class Recognition(Task):
    name = "recognition"
    needs = frozenset({"identity"})
    primary = ("verification_accuracy", "max")
    subset_groups = True
    probe = "ridge_classifier"  # linear mode: ridge to one-hot training identities; the fitted scores embed
    knn = "features"  # kNN mode: the raw pooled features are the embeddings (no training)
    # an unseen person's one-hot column cannot be fitted: hold out single images instead
    holdout_groups = False

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        ids = train.get("identity")
        self.info, self.n = info, int(ids.max()) + 1 if ids is not None and len(ids) else 0

    def check(self, info: DatasetInfo, dataset: str) -> None:
        """Identities, or the dataset's own verification pairs (a ``pairs`` CSV has no identities)."""
        if given_pairs(info) is None:
            super().check(info, dataset)

    def fixed_test(self, info: DatasetInfo) -> np.ndarray | None:
        """The images of the dataset's own verification pairs (LFW's protocol tests every pair)."""
        pairs = given_pairs(info)
        return None if pairs is None else np.unique(np.concatenate(pairs[:2]))

    def unsupervised(self) -> bool:
        """Pairs can be scored by the cosine of the pooled features, with no training identities."""
        return True

    def classes(self, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(batch["identity"])

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        """The linear probe: least-squares scores of the training identities (:meth:`from_scores` embeds)."""
        return linear_head(spec.pooled_dim, self.n)

    def finetune_head(self, spec: HeadSpec, *, linear: bool) -> torch.nn.Module:
        """A projection to an embedding with a cosine classifier over the training identities, trained with
        ArcFace's margin unless ``linear``."""
        margin = 0.0 if linear else ARC_MARGIN
        return EmbeddingHead(spec.pooled_dim, min(EMBED_DIM, spec.pooled_dim), self.n, margin=margin)

    def vote_targets(self, y: torch.Tensor) -> torch.Tensor:
        """One-hot training identities [N, n_ids] (the linear mode's least-squares targets)."""
        return F.one_hot(y.long(), self.n).float()

    def from_scores(self, s: torch.Tensor) -> torch.Tensor:
        """Fitted identity scores, centred per face, are the embedding (a least-squares discriminant
        projection)."""
        return s - s.mean(1, keepdim=True)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        return batch["identity"].clone()

    def loss(self, out: torch.Tensor, y: torch.Tensor, head: torch.nn.Module) -> torch.Tensor:
        return F.cross_entropy(head.logits(out, y), y)  # type: ignore[operator]

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        """The same embedding for every face: every pair scores alike (chance verification)."""
        return torch.ones(n, EMBED_DIM)

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        return F.normalize(out.float(), dim=1).numpy().astype(np.float64)

    def truth(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        """Identity ids (-1 = unknown: a pairs-only dataset) and dataset indices of the test faces."""
        return {"ids": np.asarray(batch["identity_ids"]), "index": np.asarray(batch["index"])}

    def _pairs(self, ids: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        info = self.test_info or self.info
        given = given_pairs(info) if info is not None else None
        if given is not None:
            pos = {int(d): k for k, d in enumerate(index)}
            keep = [k for k, (a, b) in enumerate(zip(*given[:2])) if int(a) in pos and int(b) in pos]
            if len(keep) < N_FOLDS:
                raise DataError(f"only {len(keep)} of the dataset's {len(given[0])} verification pairs have "
                                f"both images in the test split; the {N_FOLDS}-fold verification "
                                f"protocol needs at least {N_FOLDS}")
            i = np.array([pos[int(given[0][k])] for k in keep], dtype=np.int64)
            j = np.array([pos[int(given[1][k])] for k in keep], dtype=np.int64)
            return i, j, given[2][keep]
        _, counts = np.unique(ids, return_counts=True)
        same_max = int((counts * (counts - 1) // 2).sum())
        n_pairs = max(2, min(self.settings.n_pairs, 2 * same_max))
        return recognition_pairs(ids, n_pairs, self.settings.split_seed)

    def metrics(self, pred: np.ndarray, target: dict[str, np.ndarray]) -> dict[str, float]:
        ids = target["ids"]
        i, j, same = self._pairs(ids, target["index"])
        scores = np.sum(pred[i] * pred[j], axis=1)
        acc, acc_std = M.verification_accuracy(scores, same, n_folds=N_FOLDS)
        out = {"verification_accuracy": acc, "verification_accuracy_std": acc_std,
               "roc_auc": M.roc_auc(scores, same),
               "tar@far=1e-2": M.tar_at_far(scores, same, 1e-2),
               "tar@far=1e-3": M.tar_at_far(scores, same, 1e-3)}
        _, first = np.unique(ids, return_index=True)
        probe = np.setdiff1d(np.arange(len(ids)), first)
        if probe.size and (ids >= 0).all():  # rank-1 needs every test identity
            out["rank1"] = M.rank1(pred[first], ids[first], pred[probe], ids[probe])
        return out


def given_pairs(info: DatasetInfo) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The dataset's own verification pairs as (i, j, same) arrays over dataset indices, or None: the
    ``pairs`` format's dict of arrays ``i``, ``j``, ``same`` or rows (index_i, index_j, same) in
    ``info.extra["pairs"]``."""
    given = info.extra.get("pairs")
    if given is None:
        return None
    if isinstance(given, dict):
        return (np.asarray(given["i"], np.int64), np.asarray(given["j"], np.int64),
                np.asarray(given["same"], bool))
    rows = np.asarray(given)
    return rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2].astype(bool)
