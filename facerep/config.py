"""Typed configuration: dataclasses are the single source of defaults.

Every command resolves its config as ``dataclass defaults <- YAML file <- key=value overrides``
(merged in that order, later wins). Unknown keys are errors. The resolved config is written next to
every output with :func:`save_config`.

Subsystems define their config dataclass in this file (append a section below), so that every
default lives in one place. The one exception is the options of an extension that has its own settings
(a pre-training method's): they live in the extension's file, registered with it, as timm keeps a model's
``pretrained_cfg`` with the model, so that a new method is one file. A config holds them in one field
marked with :class:`OptionsOf` (``PretrainConfig.options``): the options dataclass of the extension
that another field names (``method``). They are written under the extension's name, never under the
field's: ``method: swav`` + ``swav: {n_prototypes: 32}`` in YAML and in the saved config,
``swav.n_prototypes=32`` as an override. Sections of the other registered extensions are checked
against their own options (a typo is still an error naming the key and the method) and then dropped,
so one grid's options can serve several methods, and a config saved when every method's options were
written out still loads.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import ConfigError
from .io import atomic_write_text
from .pretrain.methods import list_methods, method_options

T = TypeVar("T")
OPTIONS_OF = "options_of"  # metadata key of an options field


@dataclasses.dataclass(frozen=True)
class OptionsOf:
    """What an options field holds: the options dataclass of the extension that field ``by`` names. Declare
    the field as ``options: Any = dataclasses.field(default=None, metadata={OPTIONS_OF: OptionsOf(…)})``
    and call :func:`check_options` from ``__post_init__`` (``None`` becomes the extension's defaults)."""

    by: str  # the field naming the extension, e.g. "method"
    kind: str  # what the extension is, for messages, e.g. "pre-training method"
    names: Callable[[], list[str]]  # every registered name: their sections are recognised in YAML / overrides
    # name -> its options dataclass (an unknown name raises, listing the valid)
    options: Callable[[str], type]


def _options_fields(cls: type) -> list[tuple[str, OptionsOf]]:
    return [(f.name, f.metadata[OPTIONS_OF]) for f in dataclasses.fields(cls) if OPTIONS_OF in f.metadata]


def check_options(cfg: Any) -> None:
    """Fill each ``None`` options field of ``cfg`` with the named extension's defaults; refuse options of
    another extension (e.g. after ``dataclasses.replace(cfg, method=...)`` kept the old method's options)."""
    cls = type(cfg)
    for field, of in _options_fields(cls):
        name = getattr(cfg, of.by)
        if name in {f.name for f in dataclasses.fields(cls)}:
            raise ConfigError(f"{cls.__name__}: {of.kind} {name!r} has the name of a {cls.__name__} key, "
                              "so its options cannot be written; register it under another name")
        want, value = of.options(name), getattr(cfg, field)
        if value is None:
            setattr(cfg, field, want())
        elif not isinstance(value, want):
            raise ConfigError(f"{cls.__name__}.{field} holds {type(value).__name__}, but {of.kind} {name!r} "
                              f"takes {want.__name__} (set {field}=None for its defaults)")


def resolve_config(cls: type[T], file: str | Path | None = None, overrides: Sequence[str] = (),
                   **values: Any) -> T:
    """Build ``cls`` from its defaults, then ``values`` (typed Python values, e.g. CLI options),
    then a YAML ``file``, then ``key=value`` ``overrides`` (dotted keys for nested configs)."""
    try:
        layers = _layers(file, overrides, values)
        sections = {field: _pop_sections(cls, field, of, layers) for field, of in _options_fields(cls)}
        merged = OmegaConf.merge(OmegaConf.structured(cls), *[OmegaConf.create(layer) for layer in layers])
        assert isinstance(merged, DictConfig)  # a dataclass merges into a mapping
        for field, of in _options_fields(cls):
            merged[field] = _options_node(cls.__name__, of, str(merged[of.by]), sections[field])
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as e:
        msg = str(e).split("\n")[0]
        key = getattr(e, "full_key", None)
        where = f"{key}: " if isinstance(key, str) and key and repr(key.split(".")[-1]) not in msg else ""
        raise ConfigError(f"{cls.__name__}: {where}{msg}{_did_you_mean(cls, key)}") from None


def field_default(field: dataclasses.Field) -> Any:
    """The default value of a dataclass field (its factory called)."""
    return field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default


def _did_you_mean(cls: type, full_key: Any) -> str:
    """" (did you mean image_size?)" for an unknown (dotted) key of the dataclass ``cls``, else ""."""
    if not isinstance(full_key, str) or not full_key:
        return ""
    *parents, key = full_key.split(".")
    for name in parents:  # down to the nested dataclass that holds the key
        fields = {f.name: f for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
        if name not in fields:
            return ""
        nested = field_default(fields[name])
        cls = nested if isinstance(nested, type) else type(nested)
    if not dataclasses.is_dataclass(cls):
        return ""
    names = [f.name for f in dataclasses.fields(cls)]
    if key in names:
        return ""
    close = difflib.get_close_matches(key, names, n=2, cutoff=0.6)
    prefix = ".".join(parents) + "." if parents else ""
    return f" (did you mean {' or '.join(prefix + c for c in close)}?)" if close else ""


def _layers(file: str | Path | None, overrides: Sequence[str],
            values: dict[str, Any]) -> list[dict[str, Any]]:
    """``values``, the YAML ``file`` and the ``key=value`` ``overrides`` as plain dicts, in merge order."""
    layers: list[dict[str, Any]] = []
    if values:
        layers.append({k: v for k, v in values.items() if v is not None})
    if file is not None:
        path = Path(file)
        if not path.is_file():
            raise ConfigError(f"config file {str(path)!r} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: a config file must hold a mapping of keys to values")
        layers.append(loaded)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
    if overrides:
        layers.append(
            OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides))))  # type: ignore[arg-type]
    return layers


def _pop_sections(cls: type, field: str, of: OptionsOf, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Take the sections named after a registered extension out of each layer: ``[{name: options}, …]``."""
    keys = {f.name for f in dataclasses.fields(cls)}
    names = set(of.names()) - keys
    for layer in layers:
        if field in layer:
            raise ConfigError(f"{cls.__name__}: write the options of the {of.kind} under its name "
                              f"(e.g. {next(iter(sorted(names)), 'NAME')}.KEY=VALUE), not under {field!r}")
    return [{k: layer.pop(k) for k in list(layer) if k in names} for layer in layers]


def _options_node(where: str, of: OptionsOf, chosen: str, layers: list[dict[str, Any]]) -> Any:
    """The merged options of ``chosen``; every other named section is checked against its own options."""
    node = None
    for name in sorted({chosen, *(k for layer in layers for k in layer)}):
        opts = of.options(name)
        parts = [_checked_part(where, of, name, opts, layer[name]) for layer in layers
                 if layer.get(name) is not None]
        try:
            merged = OmegaConf.merge(OmegaConf.structured(opts), *parts)
        except OmegaConfBaseException as e:
            key = f"{name}.{e.full_key}" if getattr(e, "full_key", None) else name
            raise ConfigError(f"{where}: {key}: {str(e).splitlines()[0]}") from None
        if name == chosen:
            node = merged
    return node


def _checked_part(where: str, of: OptionsOf, name: str, opts: type, part: Any) -> Any:
    """One layer's section of ``name`` as a DictConfig; a key that ``opts`` lacks is an error naming both."""
    if dataclasses.is_dataclass(part) and not isinstance(part, type):
        part = dataclasses.asdict(part)
    if not isinstance(part, Mapping):
        raise ConfigError(f"{where}: {name}: the options of {of.kind} {name!r} are a mapping "
                          f"(e.g. {name}.KEY=VALUE), got {part!r}")
    valid = [f.name for f in dataclasses.fields(opts)]
    unknown = [k for k in part if k not in valid]
    if unknown:
        raise ConfigError(f"{where}: unknown option {name}.{unknown[0]} of {of.kind} {name!r}; "
                          f"valid: {', '.join(valid) or '(none)'}")
    return OmegaConf.create(dict(part))


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """``cfg`` as plain data; an options field is written under the extension's name (``swav: {…}``)."""
    if dataclasses.is_dataclass(cfg):
        data = dataclasses.asdict(cfg)  # type: ignore[arg-type]
        for field, of in _options_fields(type(cfg)):
            data[getattr(cfg, of.by)] = data.pop(field)
        return data
    return dict(cfg)


def save_config(cfg: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (``.yaml``) or JSON (anything else), atomically."""
    data = config_to_dict(cfg)
    path = Path(path)
    yaml_file = path.suffix in (".yaml", ".yml")
    text = yaml.safe_dump(data, sort_keys=False) if yaml_file else json.dumps(data, indent=2)
    atomic_write_text(path, text)
    return path


# --- configs of each subsystem follow (append below) -------------------------------------------


# --- pre-training (facerep.pretrain) -----------------------------------------------------------
# Each method's options live in its file under facerep/pretrain/methods/, registered with the method.
METHOD_OPTIONS = OptionsOf("method", "pre-training method", list_methods, method_options)


@dataclasses.dataclass
class PretrainConfig:
    """``facerep pretrain``. ``batch_size`` is the global batch of one forward pass, split evenly over
    all processes (devices × nodes); one optimizer step sees ``batch_size × accumulate`` images.

    ``options`` is the options dataclass of ``method`` (``SwavOptions`` in ``methods/swav.py`` …), written
    ``swav.n_prototypes=32`` / ``swav: {n_prototypes: 32}`` (see the module docstring); ``None`` = its
    defaults."""

    method: str = "swav"
    backbone: str = "timm:resnet50"
    data: str = "synth:"
    max_samples: int = 0  # > 0: pre-train on a seeded random subset of this many samples (data-size studies)
    steps: int = 1000  # optimizer steps
    batch_size: int = 256
    image_size: int = 224
    out: str = "runs/pretrain"
    seed: int = 0
    optimizer: str = "adamw"  # adamw | sgd | lars
    lr: float = 1e-3
    weight_decay: float = 0.05
    momentum: float = 0.9  # sgd / lars
    warmup_steps: int = -1  # -1: 5 % of steps
    min_lr_ratio: float = 1e-3  # the cosine schedule ends at lr × min_lr_ratio
    accumulate: int = 1
    devices: str = "1"  # a count, "auto", or a comma list of device ids
    num_nodes: int = 1
    accelerator: str = "auto"  # auto | cpu | gpu
    strategy: str = "auto"  # auto | ddp | fsdp
    precision: str = "32"  # 32 | bf16-mixed | 16-mixed
    sync_batchnorm: bool = True  # when more than one process
    channels_last: bool = False
    compile: bool = False
    num_workers: int = 2
    checkpoint_every: int = 500  # steps; a checkpoint is also written at the end
    keep_checkpoints: int = 1  # full checkpoints kept, the latest (each holds the optimizer: ~3x the weights)
    resume: bool = False
    loggers: list[str] = dataclasses.field(default_factory=lambda: ["csv"])  # csv, tensorboard, wandb
    log_every: int = 10
    options: Any = dataclasses.field(default=None, metadata={OPTIONS_OF: METHOD_OPTIONS})

    def __post_init__(self) -> None:
        check_options(self)


# --- curation (facerep curate / redundancy / subset) ---------------------------------------------
@dataclasses.dataclass
class CurateConfig:
    """``facerep curate IN OUT``: detect, align (5-point similarity to the ArcFace-style template), measure
    quality, write crops + a Parquet manifest. ``min_*`` filters drop faces (counted in the summary)."""

    detector: str = "auto"  # auto (mtcnn if facenet-pytorch imports, else haar) | mtcnn | haar | faceapi-ssd
    landmarker: str = "none"  # none | faceapi: 68 points per face into the manifest, crops aligned by them
    size: int = 112  # side of the aligned square crop, pixels
    # extra border around the template on each side, as a fraction of the crop (0 = ArcFace)
    margin: float = 0.0
    eye_weight: int = 3  # weight of each eye vs nose/mouth points in the least-squares similarity fit
    fps: float = 1.0  # frames sampled per second of video (<= 0: every frame)
    max_frames: int = 0  # per video; 0 = no limit
    max_faces: int = 0  # per image/frame, largest first; 0 = all
    min_size: float = 0.0  # face size = shorter side of the detector box, pixels
    min_score: float = 0.0  # detector score
    min_sharpness: float = 0.0  # variance of the Laplacian of the grey aligned crop
    min_frontal: float = 0.0  # frontal-ness proxy from the 5 landmarks, 0..1
    crop_format: str = "png"  # png | jpg
    shards: bool = False  # also write webdataset shards (OUT/shards/shard-000000.tar …)
    shard_size: int = 10000  # faces per shard


@dataclasses.dataclass
class RedundancyConfig:
    """``facerep redundancy DATA``: embed every face, kNN graph (faiss), near-duplicate groups at a cosine
    threshold (connected components of the thresholded kNN graph)."""

    # "" = a tiny random timm model (a warning says so); else any backbone spec or facerep dir
    backbone: str = ""
    image_size: int = 0  # 0 = the backbone's input size
    batch_size: int = 64
    threshold: float = 0.95  # cosine similarity at or above which two faces are near-duplicates
    k: int = 10  # neighbours per face in the kNN graph
    exact_max: int = 20000  # up to this many faces: exact blockwise IndexFlatIP; above: IVF (approximate)
    reduce_dim: int = 64  # IVF searches a PCA-reduced copy of this width; candidates are re-scored exactly
    nlist: int = 0  # IVF cells; 0 = sqrt(nprobe * N)
    nprobe: int = 8  # IVF cells visited per query
    block: int = 8192  # queries per search call (bounds memory)
    strides: list[int] = dataclasses.field(default_factory=lambda: [1, 2, 4, 8, 16, 32])
    seed: int = 0


@dataclasses.dataclass
class SubsetConfig:
    """``facerep subset DATA``: nested subsets (size study) and filtered-vs-raw subsets (quality study)."""

    sizes: list[str] = dataclasses.field(default_factory=lambda: ["1k", "10k", "100k"])
    by: str = "image"  # image | identity | video: the unit that is kept whole when drawing
    seed: int = 0
    quality_min: list[str] = dataclasses.field(default_factory=list)  # key=value, e.g. sharpness=50


# --- experiment grid (facerep.sweep) -----------------------------------------------------------
@dataclasses.dataclass
class SweepConfig:
    """``facerep sweep``: how the cells of a spec run. The spec itself says what runs."""

    executor: str = "local"  # local | pool | slurm
    workers: int = 2  # pool processes; slurm: array jobs at once
    keep_going: bool = True  # a failing cell does not stop the others (failures are raised at the end)
    slurm_cluster: str = ""  # "" = detect (slurm); "local" or "debug" run submitit jobs on this machine
    slurm_folder: str = "slurm"  # submitit logs, under the sweep's output dir
    slurm_partition: str = ""
    slurm_timeout_min: int = 240
    slurm_cpus_per_task: int = 8
    slurm_gpus_per_node: int = 0
    slurm_mem_gb: int = 32


# --- report (facerep.report) --------------------------------------------------------------------
@dataclasses.dataclass
class ReportConfig:
    """``facerep report``: a static HTML page (figures embedded) and report.md from records."""

    title: str = "facerep report"
    figure_format: str = "png"  # png | svg (embedded either way)
    dpi: int = 110
    log_x: bool = True  # few-shot curves on a log-scaled fraction axis
    markdown: bool = True  # also write report.md next to the HTML


# --- benchmark (facerep bench / facerep.evaluate) ------------------------------------------------
@dataclasses.dataclass
class BenchConfig:
    """``facerep bench``: tasks × protocol (fractions and/or shots × seeds) × mode for one backbone.

    ``data`` maps a task name (or ``"*"`` for every task) to a ``FORMAT:PATH``; tasks without an entry run on
    ``synth``. Official splits (``train_split`` / ``test_split``) are used when the format has them, else a
    seeded identity-disjoint split (``test_fraction``, ``split_seed``) is made; the test set is the same for
    every seed."""

    backbone: str = "timm:resnet18"
    pretrained: bool = False  # load the adapter's published weights (timm: HF hub, so offline needs a cache)
    backbone_seed: int = 0  # seeds the initialisation of a randomly initialised backbone (deterministic runs)
    tasks: list[str] = dataclasses.field(default_factory=lambda: ["all"])
    data: dict[str, str] = dataclasses.field(default_factory=dict)
    train_data: dict[str, str] = dataclasses.field(default_factory=dict)  # task -> source its heads train on
    synth: str = "synth:ids=150,per_id=10,size=96,seed=0"  # 1500 faces: 10 % of the training split is ~100
    mode: str = "linear"  # linear | knn | finetune
    fractions: list[float] = dataclasses.field(default_factory=lambda: [1.0])
    shots: list[int] = dataclasses.field(default_factory=list)  # K per class (classification) or per identity
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0])
    image_size: int = 112
    margin: float = -1.0  # box margin of the face crop; < 0: the backbone's pretrained_cfg.margin
    train_split: str = "train"
    test_split: str = ""  # "" = "test" when the format has it, else its first split other than train_split
    test_fraction: float = 0.3  # of identities (or samples) held out when the format has no official split
    split_seed: int = 0
    # cosine of 16x16 grey descriptors at which faces are near-duplicates: they group data without
    # identity/subject/video ids for splits and penalties, and every split counts its crossing pairs
    near_duplicate: float = 0.95
    out: str = "runs/bench"
    cache_dir: str = ""  # "" = $FACEREP_CACHE or ~/.cache/facerep/features
    batch_size: int = 64  # feature extraction / fine-tuning batch
    dense_strides: list[int] = dataclasses.field(default_factory=lambda: [8, 16])  # maps used by dense tasks
    dense_grid: int = 8  # each dense map is average-pooled to dense_grid × dense_grid before caching
    global_grid: int = 8  # global tasks read pooled + the dense maps pooled to this grid (0 = pooled only)
    # auto: tasks of facial motion (expression, AUs) read 5-point-aligned crops | off: box crops
    align: str = "auto"
    # template margin of aligned crops (0 = the ArcFace crop; > 0 shows more context)
    align_margin: float = 0.0
    landmarker: str = "auto"  # 5 alignment points for faces without landmarks: auto | mtcnn | faceapi | none
    aligned_strides: list[int] = dataclasses.field(default_factory=lambda: [4])  # maps read on aligned crops
    aligned_grid: int = 14  # ... each pooled to this grid (cached so, and read as is by the aligned tasks)
    # maps kept at their own resolution: the per-pixel parsing probe (cached) and fine-tuning's decoders
    # read them
    native_strides: list[int] = dataclasses.field(default_factory=lambda: [4, 8, 16])
    pixels_per_class: int = 2000  # parsing probe: pixels drawn per class present in each training subset, ...
    # ... shared out ∝ class frequency^power (0: equal per class, 1: natural)
    pixels_class_power: float = 0.25
    # linear heads of tasks whose labels a flip keeps (expression, AUs) also train on mirrored crops
    mirror: bool = True
    head_steps: int = 300  # optimizer steps of a head on cached features
    head_lr: float = 1e-2
    head_weight_decay: float = 1e-3
    head_batch: int = 0  # 0 = full batch
    knn_k: int = 20
    knn_temperature: float = 0.07
    finetune_epochs: int = 10
    finetune_lr_backbone: float = 1e-4
    finetune_lr_head: float = 1e-3  # scaled down for wide heads (heads.param_groups)
    # decoders (heatmaps, FPN): alone on frozen maps (head_steps), then jointly
    finetune_lr_decoder: float = 1e-2
    finetune_hflip: bool = True  # label-consistent flips (landmark and mask left/right swaps)
    finetune_linear_heads: bool = False  # fine-tune the linear-probe heads instead of the field's heads
    # (heatmaps for landmarks2d, an FPN decoder for parsing, a margin loss for recognition)
    n_pairs: int = 600  # verification pairs drawn among test identities when the dataset has none
    trivial: bool = True  # also record each task's trivial baseline (mode "trivial")
    # e.g. ["lowres:16,24", "blur:1,2,3"] (test only)
    corruptions: list[str] = dataclasses.field(default_factory=list)
    # same syntax: train on clean + these copies
    train_corruptions: list[str] = dataclasses.field(default_factory=list)
    # also run this backbone (same protocol); robustness.csv gets CE / mCE against it
    reference_backbone: str = ""
    train_skew: str = ""  # "ATTR=VALUE[:SHARE]": training split skewed to one subgroup (share 1.0 = only it)
    # subgroup attributes to break every metric down by
    groups: list[str] = dataclasses.field(default_factory=list)
    group_bootstrap: int = 200  # bootstrap resamples of each group's 95 % CI
    trust_checkpoint: bool = False  # let file adapters fully unpickle a checkpoint (runs code from it!)
    skip_bad: bool = False  # samples that fail to decode are skipped, counted and listed in skipped.csv


# --- synthetic faces (facerep.data.synth) -------------------------------------------------------
@dataclasses.dataclass
class SynthConfig:
    """The embedded synthetic face source (``synth:ids=200,per_id=20,size=112,seed=0``)."""

    ids: int = 200           # identities
    per_id: int = 20         # images per identity (video mode: clips per identity)
    size: int = 112          # image side in pixels
    seed: int = 0
    video_frames: int = 0    # 0 = still images; F > 0 = clips of F frames with smooth pose/expression drift
    yaw: float = 30.0        # largest |yaw|, |pitch|, |roll| in degrees (uniform)
    pitch: float = 15.0
    roll: float = 15.0
    degrade: bool = True     # blur, noise and JPEG round trips
    vary: str = ""           # "" or skin_tone | hair_colour | glasses | beard | age: each base sample at
    vary_levels: int = 0     # this many values of that attribute (0 = 2 for flags, 5 otherwise)


# --- demo (facerep.demo) ------------------------------------------------------------------------
@dataclasses.dataclass
class DemoConfig:
    """``facerep demo``: synthetic faces -> short SwAV pre-training -> bench of random init vs the
    pre-trained backbone on every task -> report.html. Pre-training and bench faces are different
    identities (synth seeds 1 and 0). ``quick`` holds the keys ``--quick`` replaces.

    SwAV here uses few prototypes and Sinkhorn ε = 0.01 (the paper: 3000 and 0.05): with batches of 32-64
    similar faces, ε = 0.05 gives nearly uniform codes and the short run collapses to the uniform solution
    (loss ln K); measured on --quick, ε = 0.01 put the pre-trained backbone ahead of random init on 7/8
    tasks."""

    backbone: str = "timm:resnet18"
    method: str = "swav"
    image_size: int = 64
    pretrain_data: str = "synth:ids=300,per_id=8,size=64,seed=1"
    steps: int = 120  # about 10 min at batch 64 on 2 CPU cores (2.5 s per step of 32 faces measured)
    batch_size: int = 64
    pretrain_options: dict[str, Any] = dataclasses.field(default_factory=lambda: {
        "lr": 2e-3, "num_workers": 0, "checkpoint_every": 100,
        "swav": {"n_prototypes": 64, "freeze_prototypes_steps": 20, "local_crops": 4,
                 "sinkhorn_epsilon": 0.01}})
    bench_data: str = "synth:ids=48,per_id=10,size=64,seed=0"
    tasks: list[str] = dataclasses.field(default_factory=lambda: ["all"])
    mode: str = "linear"
    fractions: list[float] = dataclasses.field(default_factory=lambda: [0.05, 0.2, 1.0])
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    bench_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    executor: str = "local"
    workers: int = 2
    quick: dict[str, Any] = dataclasses.field(default_factory=lambda: {
        "steps": 45, "batch_size": 32, "pretrain_data": "synth:ids=120,per_id=6,size=64,seed=1",
        "bench_data": "synth:ids=32,per_id=8,size=64,seed=0", "seeds": [0, 1],
        "pretrain_options": {"lr": 2e-3, "num_workers": 0, "checkpoint_every": 20,
                             "swav": {"n_prototypes": 32, "freeze_prototypes_steps": 10, "local_crops": 4,
                                      "sinkhorn_epsilon": 0.01}}})


# --- redundancy study (facerep redundancy-study) --------------------------------------------------
@dataclasses.dataclass
class RedundancyStudyConfig:
    """``facerep redundancy-study --out DIR``: the paper's redundancy experiment on the synthetic faces' video
    mode. Redundancy of the clips (effective size vs frame stride), then the same pre-training (method,
    backbone, steps, seed) on all frames and on the deduplicated frames, then the bench of both and of random
    init (same protocol; bench faces are still images of other identities: synth seed 0 vs the clips' seed 1).
    Runs as a sweep under DIR, so a rerun skips every finished stage.

    Defaults are sized for 2 shared CPU cores: 11.8 min measured on 2026-11-29 with other jobs on the cores
    (redundancy 19 s; pre-training 76 s on all frames, 360 s on dedup under heavier load, same 50 steps; bench
    of 3 backbones x 4 tasks x 2 seeds about 4 min); less when the cores are free. Grow ``video_data``,
    ``steps``, ``tasks`` (``[all]``) and ``bench_data`` on a GPU."""

    # 64 clips x 16 frames = 1024 faces
    video_data: str = "synth:ids=32,per_id=2,video_frames=16,size=64,seed=1"
    redundancy: RedundancyConfig = dataclasses.field(default_factory=RedundancyConfig)
    method: str = "simclr"
    backbone: str = "timm:resnet18"
    image_size: int = 64  # pre-training and bench crop side
    steps: int = 50  # optimizer steps of each pre-training run (the same compute for both)
    batch_size: int = 32
    seed: int = 0  # pre-training seed (both runs)
    pretrain_options: dict[str, Any] = dataclasses.field(default_factory=lambda: {
        "lr": 2e-3, "num_workers": 0, "checkpoint_every": 25})  # any other PretrainConfig key, or simclr: {…}
    bench_data: str = "synth:ids=32,per_id=8,size=64,seed=0"
    tasks: list[str] = dataclasses.field(
        default_factory=lambda: ["recognition", "landmarks2d", "parsing", "pose"])
    mode: str = "linear"
    fractions: list[float] = dataclasses.field(default_factory=lambda: [0.1, 1.0])
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1])
    bench_options: dict[str, Any] = dataclasses.field(default_factory=dict)  # any other BenchConfig key
    executor: str = "local"  # local | pool | slurm (facerep sweep's executors)
    workers: int = 2
