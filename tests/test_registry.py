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
