from dataclasses import dataclass

import pytest

from facerep.errors import UnknownNameError
from facerep.registry import Registry


def test_register_get_list_glob():
    r: Registry = Registry("widget")

    @r.register("landmarks2d", description="2D")
    def a():
        return 1

    @r.register("landmarks3d")
    def b():
        """Three D."""

    r.register("parsing")(len)
    assert r.get("landmarks2d") is a
    assert r.list("land*") == ["landmarks2d", "landmarks3d"]
    assert r.entries("landmarks3d")[0].description == "Three D."
    assert "parsing" in r and len(r) == 3


def test_unknown_name_lists_valid_and_suggests():
    r: Registry = Registry("task")
    r.register("parsing")(len)
    r.register("pose")(len)
    with pytest.raises(UnknownNameError) as e:
        r.get("parsng")
    msg = str(e.value)
    assert "unknown task 'parsng'" in msg and "Did you mean 'parsing'" in msg and "Valid: parsing, pose" in msg


def test_double_registration_refused():
    r: Registry = Registry("x")
    r.register("a")(len)
    with pytest.raises(ValueError):
        r.register("a")(sum)


def test_entry_carries_its_options_dataclass():
    @dataclass
    class SwirlOptions:
        turns: int = 3

    r: Registry = Registry("widget")
    r.register("swirl", options=SwirlOptions)(len)
    r.register("plain")(sum)
    assert r.entry("swirl").options is SwirlOptions and r.entry("swirl").obj is len
    assert r.entry("plain").options is None
    with pytest.raises(UnknownNameError, match="unknown widget 'swril'.*Did you mean 'swirl'"):
        r.entry("swril")
    with pytest.raises(TypeError, match="options must be a dataclass"):
        r.register("bad", options=dict)


def test_close_names_rank_the_family_first():
    """A mistyped timm name suggests its own family, plain members first (resnet18 / resnet50, not
    cspresnet50)."""
    import timm

    from facerep.registry import close_names

    names = timm.list_models()
    first = close_names("resnet_nope", names)
    assert first[:4] == ["resnet18", "resnet26", "resnet34", "resnet50"], first
    assert close_names("resnt50", names)[0] == "resnet50"
    assert close_names("convnext_tinny", names)[0] == "convnext_tiny"
    assert close_names("Resnet18", names)[0] == "resnet18"
    vit = close_names("vit_smal_patch16_224", names, n=2)
    assert vit == ["vit_small_patch8_224", "vit_small_patch16_224"]
