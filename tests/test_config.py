from dataclasses import dataclass, field

import pytest
import yaml

from facerep.config import resolve_config, save_config
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
