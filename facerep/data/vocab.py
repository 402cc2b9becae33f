"""Label vocabularies shared by formats, the synthetic source and tasks (official orders)."""
from __future__ import annotations

# LaPa (Liu et al., AAAI 2020) label ids 0..10, in the official order.
LAPA11: tuple[str, ...] = (
    "background", "skin", "left_eyebrow", "right_eyebrow", "left_eye", "right_eye",
    "nose", "upper_lip", "inner_mouth", "lower_lip", "hair",
)
# CelebAMask-HQ (Lee et al., CVPR 2020): background 0, then the 18 parts in the official merge order.
CELEBAMASK19: tuple[str, ...] = (
    "background", "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear",
    "mouth", "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth",
)
# DISFA's 12 action units (intensity 0-5).
DISFA_AUS: tuple[int, ...] = (1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26)
# BP4D (FERA 2015) occurrence AUs.
BP4D_AUS: tuple[int, ...] = (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24)
# Expression classes in AffectNet's code order (0..7); formats with other orders map onto names.
EXPRESSIONS8: tuple[str, ...] = (
    "neutral", "happiness", "sadness", "surprise", "fear", "disgust", "anger", "contempt",
)
