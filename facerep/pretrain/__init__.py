"""Pre-training engine. ``facerep.pretrain(cfg)`` runs :func:`facerep.pretrain.api.pretrain`.

``facerep.pretrain`` is both this package and the function of the public API: importing the package
binds it as the attribute ``facerep.pretrain``, so the package itself is made callable.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, cfg: Any, **kwargs: Any) -> Path:
        # deferred: the api loads lightning (seconds), which importing facerep.pretrain.methods does not need
        from .api import pretrain

        return pretrain(cfg, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
