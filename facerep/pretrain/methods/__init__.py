"""Pre-training methods: one file per method, each registered by name (``@register_method("swav")``).

A method is a :class:`~facerep.pretrain.methods._base.Method`: ``build(backbone, cfg)`` returns the
module, ``views(cfg)`` the augmentation that makes its views, ``training_step(batch)`` the losses.
"""

from __future__ import annotations

from ...registry import Registry

METHODS: Registry[type] = Registry("pre-training method")
register_method = METHODS.register


def _ensure_loaded() -> None:
    from ..._plugins import import_submodules

    import_submodules(__name__)


def get_method(name: str) -> type:
    """The method class registered as ``name`` (unknown names list the valid ones)."""
    _ensure_loaded()
    return METHODS.get(name)


def list_methods(pattern: str = "*") -> list[str]:
    _ensure_loaded()
    return METHODS.list(pattern)
