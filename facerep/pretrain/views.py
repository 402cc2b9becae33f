"""Per-method view makers over lightly's transforms, configured for face crops, and the photometric
settings the methods' options share (:class:`ColorAugConfig`).

Every view maker maps an H×W×3 uint8 RGB face to a list of [3, h, w] float views in [0, 1];
normalisation (the backbone's mean/std) happens in the model, so one view maker fits any backbone.
Crop scales in the methods' options are fractions of the face crop's area. Faces are already cropped around
the box, so the scales sit higher than ImageNet's (a 5 % crop of a face is a patch of cheek, not an object).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image
from torch import Tensor

from ..errors import ConfigError


@dataclasses.dataclass
class ColorAugConfig:
    """Photometric augmentation shared by the contrastive/clustering methods (lightly's parameters)."""

    cj_prob: float = 0.8
    cj_strength: float = 0.5
    gray_prob: float = 0.2
    blur_prob: float = 0.5
    hflip_prob: float = 0.5


class PilViews:
    """Wraps a lightly transform (PIL in, tensor or list of tensors out) as a view maker."""

    def __init__(self, transform: Callable[[Any], Any], n_views: int) -> None:
        self.transform, self.n_views = transform, n_views

    def __call__(self, image: np.ndarray) -> list[Tensor]:
        out = self.transform(Image.fromarray(image))
        return list(out) if isinstance(out, (list, tuple)) else [out]


def color_kwargs(c: ColorAugConfig) -> dict[str, Any]:
    """lightly's photometric arguments; no vertical flips or rotations (faces are upright)."""
    return {
        "cj_prob": c.cj_prob,
        "cj_strength": c.cj_strength,
        "random_gray_scale": c.gray_prob,
        "hf_prob": c.hflip_prob,
        "vf_prob": 0.0,
        "rr_prob": 0.0,
    }


def multi_crop_views_of(c: Any, image_size: int) -> PilViews:
    """:func:`multi_crop_views` from a method config section with the multi-crop fields (SwAV, DINO)."""
    return multi_crop_views(image_size, c.global_crops, c.local_crops, c.global_scale, c.local_scale,
                            c.local_size_ratio, c.color)


def multi_crop_views(
    image_size: int,
    global_crops: int,
    local_crops: int,
    global_scale: Sequence[float],
    local_scale: Sequence[float],
    local_size_ratio: float,
    color: ColorAugConfig,
) -> PilViews:
    """SwAV/DINO multi-crop: ``global_crops`` at ``image_size`` then ``local_crops`` smaller ones."""
    # deferred: lightly loads timm and torchvision (seconds); looking up any method imports this module
    from lightly.transforms import SwaVTransform

    local = max(8, round(image_size * local_size_ratio))
    t = SwaVTransform(
        crop_sizes=(image_size, local),
        crop_counts=(global_crops, local_crops),
        crop_min_scales=(global_scale[0], local_scale[0]),
        crop_max_scales=(global_scale[1], local_scale[1]),
        gaussian_blur=color.blur_prob,
        normalize=None,
        **color_kwargs(color),
    )
    return PilViews(t, global_crops + local_crops)


def two_views(image_size: int, scale: Sequence[float], color: ColorAugConfig) -> PilViews:
    """Two SimCLR-style views (random resized crop, colour jitter, grey, blur, flip)."""
    from lightly.transforms import SimCLRTransform  # deferred: see multi_crop_views

    if scale[1] < 1.0:
        raise ConfigError(
            f"crop scale {list(scale)}: this method's crops span up to the whole face; "
            "the range must end at 1.0"
        )
    t = SimCLRTransform(
        input_size=image_size,
        min_scale=scale[0],
        gaussian_blur=color.blur_prob,
        normalize=None,
        **color_kwargs(color),
    )
    return PilViews(t, 2)


def crop_flip_views(image_size: int, scale: Sequence[float], hflip_prob: float, n_views: int = 1) -> PilViews:
    """``n_views`` random resized crops with a horizontal flip (MAE, supervised)."""
    import torchvision.transforms as T  # deferred: see multi_crop_views

    t = T.Compose(
        [
            T.RandomResizedCrop(
                image_size,
                scale=(scale[0], scale[1]),
                interpolation=T.InterpolationMode.BICUBIC,
                antialias=True,
            ),
            T.RandomHorizontalFlip(hflip_prob),
            T.ToTensor(),
        ]
    )
    return PilViews(lambda im: [t(im) for _ in range(n_views)], n_views)
