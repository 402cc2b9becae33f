from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from facerep.config import OPTIONS_OF, OptionsOf, check_options, config_to_dict, resolve_config, save_config
from facerep.errors import ConfigError


@dataclass
class Inner:
    lr: float = 0.1


@dataclass
class Cfg:
    steps: int = 10
    name: str = "a"
    seeds: list[int] = field(default_factory=lambda: [0])
    inner: Inner = field(default_factory=Inner)


def test_defaults_values_file_overrides_in_order(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("steps: 20\nname: b\n")
    cfg = resolve_config(Cfg, f, ["name=c", "inner.lr=0.5"], steps=15, seeds=[1, 2])
    assert cfg == Cfg(steps=20, name="c", seeds=[1, 2], inner=Inner(lr=0.5))


def test_unknown_key_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="stepz"):
        resolve_config(Cfg, overrides=["stepz=3"])
    f = tmp_path / "c.yaml"
    f.write_text("bogus: 1\n")
    with pytest.raises(ConfigError, match="bogus"):
        resolve_config(Cfg, f)


def test_bad_type_and_bad_override_form():
    with pytest.raises(ConfigError):
        resolve_config(Cfg, overrides=["steps=many"])
    with pytest.raises(ConfigError, match="key=value"):
        resolve_config(Cfg, overrides=["steps"])


def test_save_roundtrip(tmp_path):
    cfg = resolve_config(Cfg, overrides=["steps=7"])
    p = save_config(cfg, tmp_path / "config.yaml")
    assert yaml.safe_load(p.read_text())["steps"] == 7
    assert resolve_config(Cfg, p) == cfg


# --- an options field: the options of the extension another field names (as PretrainConfig.options) ---------
@dataclass
class FastOpts:
    depth: int = 2
    inner: Inner = field(default_factory=Inner)


@dataclass
class SlowOpts:
    width: float = 1.0


KINDS = {"fast": FastOpts, "slow": SlowOpts}


def _opts_of(name: str) -> type:
    if name not in KINDS:
        raise ConfigError(f"unknown widget {name!r}")
    return KINDS[name]


WIDGET = OptionsOf("kind", "widget", lambda: sorted(KINDS), _opts_of)


@dataclass
class WithOpts:
    kind: str = "fast"
    steps: int = 1
    options: Any = field(default=None, metadata={OPTIONS_OF: WIDGET})

    def __post_init__(self) -> None:
        check_options(self)


def test_options_default_to_the_named_extension():
    assert WithOpts().options == FastOpts() and WithOpts(kind="slow").options == SlowOpts()
    assert resolve_config(WithOpts, kind="slow").options == SlowOpts()
    with pytest.raises(ConfigError, match="WithOpts.options holds FastOpts, but widget 'slow' takes SlowOpts"):
        WithOpts(kind="slow", options=FastOpts())


def test_options_sit_under_the_extension_name_in_every_layer(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("fast: {depth: 5, inner: {lr: 0.3}}\n")
    cfg = resolve_config(WithOpts, f, ["fast.depth=7"], fast={"depth": 4})
    assert cfg.options == FastOpts(depth=7, inner=Inner(lr=0.3))
    cfg = resolve_config(WithOpts, None, ["kind=slow", "slow.width=2.5", "fast.depth=9"])
    assert cfg.kind == "slow" and cfg.options == SlowOpts(width=2.5)  # the other section: checked, dropped


def test_options_saved_under_the_name_and_read_back(tmp_path):
    cfg = resolve_config(WithOpts, overrides=["fast.depth=3"])
    assert config_to_dict(cfg) == {"kind": "fast", "steps": 1, "fast": {"depth": 3, "inner": {"lr": 0.1}}}
    p = save_config(cfg, tmp_path / "config.yaml")
    assert resolve_config(WithOpts, p) == cfg
    p.write_text("kind: slow\nfast: {depth: 4}\nslow: {width: 0.5}\n")  # every extension's section written out
    assert resolve_config(WithOpts, p).options == SlowOpts(width=0.5)


def test_unknown_option_names_the_key_and_the_extension():
    with pytest.raises(ConfigError, match=r"unknown option fast\.dept of widget 'fast'; valid: depth, inner"):
        resolve_config(WithOpts, overrides=["fast.dept=3"])
    with pytest.raises(ConfigError, match=r"unknown option fast\.x of widget 'fast'"):  # not the chosen one
        resolve_config(WithOpts, overrides=["kind=slow", "fast.x=3"])
    with pytest.raises(ConfigError, match=r"fast\.inner\.lrr: Key 'lrr' not in 'Inner'"):
        resolve_config(WithOpts, overrides=["fast.inner.lrr=3"])
    with pytest.raises(ConfigError, match=r"fast\.depth: Value 'many'"):
        resolve_config(WithOpts, overrides=["fast.depth=many"])
    with pytest.raises(ConfigError, match="under its name"):
        resolve_config(WithOpts, overrides=["options.depth=3"])
    with pytest.raises(ConfigError, match="unknown widget 'medium'"):
        resolve_config(WithOpts, kind="medium")
    with pytest.raises(ConfigError, match="fasst"):
        resolve_config(WithOpts, overrides=["fasst.depth=3"])


def test_unknown_key_suggests_the_close_one():
    from facerep.config import BenchConfig

    unknown = r"Key 'image_sise' not in 'BenchConfig' \(did you mean image_size\?\)"
    with pytest.raises(ConfigError, match=unknown):
        resolve_config(BenchConfig, None, ["image_sise=64"])
    with pytest.raises(ConfigError, match=r"did you mean inner.lr\?"):  # a nested key
        resolve_config(Cfg, None, ["inner.lrr=3"])
    with pytest.raises(ConfigError, match=r"image_size: Value 'abc'"):  # a bad value names its key
        resolve_config(BenchConfig, None, ["image_size=abc"])
    with pytest.raises(ConfigError) as e:
        resolve_config(BenchConfig, None, ["zzz=1"])
    assert "did you mean" not in str(e.value)
