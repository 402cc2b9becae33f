"""The contract of an evaluation mode and what it is given for one task."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
import torch

from ...backbones.base import Backbone
from ..sources import Source
from ..tasks._base import Task

Reads = Literal["features", "crops"]  # cached frozen-backbone features, or the face crops themselves


@dataclass(frozen=True)
class TaskData:
    """What a mode evaluates one task on: the task (set up on its training split), its source (cached features
    under :class:`facerep.bench.sources.FeatureKey` keys, or crops), the training and test positions, the
    backbone, and the (name, severity) pairs of the test-time and training corruptions."""

    task: Task
    src: Source
    train_pos: np.ndarray
    test_pos: np.ndarray
    model: Backbone
    test_pairs: tuple[tuple[str, str], ...] = ()
    train_pairs: tuple[tuple[str, str], ...] = ()


class Predictor(Protocol):
    """One task's heads under one mode, shared by every training subset of every seed."""

    def fit_predict(self, idx: np.ndarray, y: torch.Tensor, *, groups: np.ndarray | None,
                    seed: int) -> list[torch.Tensor]:
        """Train on the training positions ``idx`` (targets ``y`` [n, ...], identity / subject / video
        ``groups`` [n] or None) -> head-space outputs on the clean test set, then on each test corruption."""


class Mode(ABC):
    """An evaluation mode: built from its options dataclass (registered with it,
    :mod:`facerep.bench.modes`)."""

    name: ClassVar[str] = ""
    reads: ClassVar[Reads] = "features"
    mirrored: ClassVar[bool] = False  # linear heads of mirror-invariant tasks also train on mirrored crops

    def __init__(self, options: Any) -> None:
        self.options = options

    def skip_reason(self, task: Task) -> str | None:
        """Why this mode cannot evaluate ``task`` (the run notes it and goes on), or None."""
        return None

    @abstractmethod
    def predictor(self, data: TaskData) -> Predictor:
        """The heads of one task (:class:`Predictor`)."""
