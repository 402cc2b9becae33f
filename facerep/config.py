"""Typed configuration: dataclasses are the single source of defaults.

Every command resolves its config as ``dataclass defaults <- YAML file <- key=value overrides``
(merged in that order, later wins). Unknown keys are errors. The resolved config is written next to
every output with :func:`save_config`.

Subsystems define their config dataclass in this file (append a section below), so that every
default lives in one place.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence, TypeVar

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import ConfigError

T = TypeVar("T")


def resolve_config(cls: type[T], file: str | Path | None = None, overrides: Sequence[str] = (),
                   **values: Any) -> T:
    """Build ``cls`` from its defaults, then ``values`` (typed Python values, e.g. CLI options),
    then a YAML ``file``, then ``key=value`` ``overrides`` (dotted keys for nested configs)."""
    try:
        base = OmegaConf.structured(cls)
        layers = [base]
        if values:
            layers.append(OmegaConf.create({k: v for k, v in values.items() if v is not None}))
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
            layers.append(OmegaConf.create(loaded))
        for item in overrides:
            if "=" not in item:
                raise ConfigError(f"override {item!r} is not of the form key=value")
        if overrides:
            layers.append(OmegaConf.from_dotlist(list(overrides)))
        merged = OmegaConf.merge(*layers)
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as e:
        msg = str(e).split("\n")[0]
        raise ConfigError(f"{cls.__name__}: {msg}") from None


def config_to_dict(cfg: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(cfg):
        return dataclasses.asdict(cfg)  # type: ignore[arg-type]
    return dict(cfg)


def save_config(cfg: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (``.yaml``) or JSON (anything else), atomically."""
    from .io import atomic_write_text

    data = config_to_dict(cfg)
    path = Path(path)
    text = yaml.safe_dump(data, sort_keys=False) if path.suffix in (".yaml", ".yml") else json.dumps(data, indent=2)
    atomic_write_text(path, text)
    return path


# --- configs of each subsystem follow (append below) -------------------------------------------


# --- pre-training (facerep.pretrain) -----------------------------------------------------------
# Crop scales are fractions of the face crop's area. Faces are already cropped around the box, so the
# scales sit higher than ImageNet's (a 5 % crop of a face is a patch of cheek, not an object).
def _pair(a: float, b: float) -> Any:
    return dataclasses.field(default_factory=lambda: [a, b])


@dataclasses.dataclass
class ColorAugConfig:
    """Photometric augmentation shared by the contrastive/clustering methods (lightly's parameters)."""

    cj_prob: float = 0.8
    cj_strength: float = 0.5
    gray_prob: float = 0.2
    blur_prob: float = 0.5
    hflip_prob: float = 0.5


@dataclasses.dataclass
class SwavMethodConfig:
    n_prototypes: int = 3000
    proj_hidden_dim: int = 2048
    proj_dim: int = 128
    temperature: float = 0.1
    sinkhorn_epsilon: float = 0.05
    sinkhorn_iterations: int = 3
    freeze_prototypes_steps: int = 313  # the paper's "freeze_prototypes_niters"
    queue_length: int = 0  # 0 = no queue
    queue_start_step: int = 0
    global_crops: int = 2
    local_crops: int = 6
    global_scale: list[float] = _pair(0.35, 1.0)
    local_scale: list[float] = _pair(0.1, 0.35)
    local_size_ratio: float = 96 / 224  # local crop side / image side
    color: ColorAugConfig = dataclasses.field(default_factory=ColorAugConfig)


@dataclasses.dataclass
class MocoMethodConfig:
    version: int = 3  # 3: symmetric InfoNCE with predictor, in-batch keys; 2: queue of keys
    proj_hidden_dim: int = 4096
    proj_dim: int = 256
    temperature: float = 0.2
    momentum: float = 0.99  # start of the cosine schedule to 1.0 (v3); constant for v2
    queue_length: int = 65536  # v2 only
    scale: list[float] = _pair(0.3, 1.0)
    color: ColorAugConfig = dataclasses.field(default_factory=ColorAugConfig)


@dataclasses.dataclass
class ByolMethodConfig:
    proj_hidden_dim: int = 4096
    proj_dim: int = 256
    momentum: float = 0.99  # start of the cosine schedule to 1.0
    scale: list[float] = _pair(0.3, 1.0)
    color: ColorAugConfig = dataclasses.field(default_factory=lambda: ColorAugConfig(blur_prob=1.0))


@dataclasses.dataclass
class SimclrMethodConfig:
    proj_hidden_dim: int = 2048
    proj_dim: int = 128
    temperature: float = 0.2
    scale: list[float] = _pair(0.3, 1.0)
    color: ColorAugConfig = dataclasses.field(default_factory=lambda: ColorAugConfig(cj_strength=1.0))


@dataclasses.dataclass
class DinoMethodConfig:
    out_dim: int = 65536
    proj_hidden_dim: int = 2048
    bottleneck_dim: int = 256
    teacher_temp: float = 0.04
    warmup_teacher_temp: float = 0.04
    warmup_teacher_temp_steps: int = 0
    student_temp: float = 0.1
    center_momentum: float = 0.9
    momentum: float = 0.996  # start of the cosine schedule to 1.0
    freeze_last_layer_steps: int = 0
    global_crops: int = 2
    local_crops: int = 6
    global_scale: list[float] = _pair(0.35, 1.0)
    local_scale: list[float] = _pair(0.1, 0.35)
    local_size_ratio: float = 96 / 224
    color: ColorAugConfig = dataclasses.field(default_factory=ColorAugConfig)


@dataclasses.dataclass
class MaeMethodConfig:
    mask_ratio: float = 0.75
    decoder_dim: int = 512
    decoder_depth: int = 8
    decoder_heads: int = 16
    norm_pix_loss: bool = True
    scale: list[float] = _pair(0.5, 1.0)


@dataclasses.dataclass
class SupervisedMethodConfig:
    head: str = "arcface"  # softmax | cosface | arcface
    scale: float = 64.0  # logit scale s of the margin heads
    margin: float = -1.0  # < 0: the head's usual margin (CosFace 0.35, ArcFace 0.5)
    num_classes: int = 0  # 0: from the data (largest identity + 1)
    crop_scale: list[float] = _pair(0.8, 1.0)
    hflip_prob: float = 0.5


@dataclasses.dataclass
class PretrainConfig:
    """``facerep pretrain``. ``batch_size`` is the global batch of one forward pass, split evenly over
    all processes (devices × nodes); one optimizer step sees ``batch_size × accumulate`` images."""

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
    resume: bool = False
    loggers: list[str] = dataclasses.field(default_factory=lambda: ["csv"])  # csv, tensorboard, wandb
    log_every: int = 10
    swav: SwavMethodConfig = dataclasses.field(default_factory=SwavMethodConfig)
    moco: MocoMethodConfig = dataclasses.field(default_factory=MocoMethodConfig)
    byol: ByolMethodConfig = dataclasses.field(default_factory=ByolMethodConfig)
    simclr: SimclrMethodConfig = dataclasses.field(default_factory=SimclrMethodConfig)
    dino: DinoMethodConfig = dataclasses.field(default_factory=DinoMethodConfig)
    mae: MaeMethodConfig = dataclasses.field(default_factory=MaeMethodConfig)
    supervised: SupervisedMethodConfig = dataclasses.field(default_factory=SupervisedMethodConfig)


# --- curation (facerep curate / redundancy / subset) ---------------------------------------------
@dataclasses.dataclass
class CurateConfig:
    """``facerep curate IN OUT``: detect, align (5-point similarity to the ArcFace-style template), measure
    quality, write crops + a Parquet manifest. ``min_*`` filters drop faces (counted in the summary)."""

    detector: str = "auto"  # auto (mtcnn if facenet-pytorch imports, else haar) | mtcnn | haar
    size: int = 112  # side of the aligned square crop, pixels
    margin: float = 0.0  # extra border around the template on each side, as a fraction of the crop (0 = ArcFace)
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

    backbone: str = ""  # "" = a tiny random timm model (a warning says so); else any backbone spec or facerep dir
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
    ``synth``. Official splits (``train_split`` / ``test_split``) are used when the format has them, else a seeded
    identity-disjoint split (``test_fraction``, ``split_seed``) is made; the test set is the same for every seed."""

    backbone: str = "timm:resnet18"
    pretrained: bool = False  # load the adapter's published weights (timm: HF hub, so offline needs a cache)
    backbone_seed: int = 0  # seeds the initialisation of a randomly initialised backbone (deterministic runs)
    tasks: list[str] = dataclasses.field(default_factory=lambda: ["all"])
    data: dict[str, str] = dataclasses.field(default_factory=dict)
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
    out: str = "runs/bench"
    cache_dir: str = ""  # "" = $FACEREP_CACHE or ~/.cache/facerep/features
    batch_size: int = 64  # feature extraction / fine-tuning batch
    dense_strides: list[int] = dataclasses.field(default_factory=lambda: [8, 16])  # maps used by dense tasks
    dense_grid: int = 8  # each dense map is average-pooled to dense_grid × dense_grid before caching
    global_grid: int = 8  # global tasks read pooled + the dense maps pooled to this grid (0 = pooled only)
    align: str = "auto"  # auto: tasks of facial motion (expression, AUs) read 5-point-aligned crops | off: box crops
    align_margin: float = 0.0  # template margin of aligned crops (0 = the ArcFace crop; > 0 shows more context)
    aligned_strides: list[int] = dataclasses.field(default_factory=lambda: [4])  # maps read on aligned crops
    aligned_grid: int = 14  # ... each pooled to this grid (cached so, and read as is by the aligned tasks)
    # maps kept at their own resolution: the per-pixel parsing probe (cached) and fine-tuning's decoders read them
    native_strides: list[int] = dataclasses.field(default_factory=lambda: [4, 8, 16])
    pixels_per_class: int = 2000  # parsing probe: pixels drawn per class present in each training subset, ...
    pixels_class_power: float = 0.25  # ... shared out ∝ class frequency^power (0: equal per class, 1: natural)
    mirror: bool = True  # linear heads of tasks whose labels a flip keeps (expression, AUs) also train on mirrored crops
    head_steps: int = 300  # optimizer steps of a head on cached features
    head_lr: float = 1e-2
    head_weight_decay: float = 1e-3
    head_batch: int = 0  # 0 = full batch
    knn_k: int = 20
    knn_temperature: float = 0.07
    finetune_epochs: int = 10
    finetune_lr_backbone: float = 1e-4
    finetune_lr_head: float = 1e-3  # scaled down for wide heads (heads.param_groups)
    finetune_lr_decoder: float = 1e-2  # decoders (heatmaps, FPN): alone on frozen maps (head_steps), then jointly
    finetune_hflip: bool = True  # label-consistent flips (landmark and mask left/right swaps)
    finetune_linear_heads: bool = False  # fine-tune the linear-probe heads instead of the field's heads
    # (heatmaps for landmarks2d, an FPN decoder for parsing, a margin loss for recognition)
    n_pairs: int = 600  # verification pairs drawn among test identities when the dataset has none
    trivial: bool = True  # also record each task's trivial baseline (mode "trivial")
    corruptions: list[str] = dataclasses.field(default_factory=list)  # e.g. ["lowres:16,24", "blur:1,2,3"] (test only)
    train_corruptions: list[str] = dataclasses.field(default_factory=list)  # same syntax: train on clean + these copies
    reference_backbone: str = ""  # also run this backbone (same protocol); robustness.csv gets CE / mCE against it
    train_skew: str = ""  # "ATTR=VALUE[:SHARE]": training split skewed to one subgroup (share 1.0 = only it)
    groups: list[str] = dataclasses.field(default_factory=list)  # subgroup attributes to break every metric down by
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

    SwAV here uses few prototypes and Sinkhorn ε = 0.01 (the paper: 3000 and 0.05): with batches of 32-64 similar
    faces, ε = 0.05 gives nearly uniform codes and the short run collapses to the uniform solution (loss ln K);
    measured on --quick, ε = 0.01 put the pre-trained backbone ahead of random init on 7/8 tasks."""

    backbone: str = "timm:resnet18"
    method: str = "swav"
    image_size: int = 64
    pretrain_data: str = "synth:ids=300,per_id=8,size=64,seed=1"
    steps: int = 120  # about 10 min at batch 64 on 2 CPU cores (2.5 s per step of 32 faces measured)
    batch_size: int = 64
    pretrain_options: dict[str, Any] = dataclasses.field(default_factory=lambda: {
        "lr": 2e-3, "num_workers": 0, "checkpoint_every": 100,
        "swav": {"n_prototypes": 64, "freeze_prototypes_steps": 20, "local_crops": 4, "sinkhorn_epsilon": 0.01}})
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
    """``facerep redundancy-study --out DIR``: the paper's redundancy experiment on the synthetic faces' video mode.
    Redundancy of the clips (effective size vs frame stride), then the same pre-training (method, backbone, steps,
    seed) on all frames and on the deduplicated frames, then the bench of both and of random init (same protocol;
    bench faces are still images of other identities: synth seed 0 vs the clips' seed 1). Runs as a sweep under
    DIR, so a rerun skips every finished stage.

    Defaults are sized for 2 shared CPU cores: 11.8 min measured on 2026-11-29 with other jobs on the cores
    (redundancy 19 s; pre-training 76 s on all frames, 360 s on dedup under heavier load, same 50 steps; bench
    of 3 backbones x 4 tasks x 2 seeds about 4 min); less when the cores are free. Grow ``video_data``,
    ``steps``, ``tasks`` (``[all]``) and ``bench_data`` on a GPU."""

    video_data: str = "synth:ids=32,per_id=2,video_frames=16,size=64,seed=1"  # 64 clips x 16 frames = 1024 faces
    redundancy: RedundancyConfig = dataclasses.field(default_factory=RedundancyConfig)
    method: str = "simclr"
    backbone: str = "timm:resnet18"
    image_size: int = 64  # pre-training and bench crop side
    steps: int = 50  # optimizer steps of each pre-training run (the same compute for both)
    batch_size: int = 32
    seed: int = 0  # pre-training seed (both runs)
    pretrain_options: dict[str, Any] = dataclasses.field(default_factory=lambda: {
        "lr": 2e-3, "num_workers": 0, "checkpoint_every": 25})  # any other PretrainConfig key
    bench_data: str = "synth:ids=32,per_id=8,size=64,seed=0"
    tasks: list[str] = dataclasses.field(default_factory=lambda: ["recognition", "landmarks2d", "parsing", "pose"])
    mode: str = "linear"
    fractions: list[float] = dataclasses.field(default_factory=lambda: [0.1, 1.0])
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1])
    bench_options: dict[str, Any] = dataclasses.field(default_factory=dict)  # any other BenchConfig key
    executor: str = "local"  # local | pool | slurm (facerep sweep's executors)
    workers: int = 2
