"""The embedded synthetic face source: procedural, fully labelled faces (``synth:`` datasets).

``SynthDataset`` renders faces lazily from a 3D 68-point template (iBUG/300W order) deformed by
identity parameters and DISFA action units, posed by yaw/pitch/roll; every sample carries identity,
2D/3D landmarks, a LaPa-class parsing mask, AUs, expression, valence/arousal, attributes and pose.
Modules: ``template`` (geometry, AU basis), ``generator`` (seeded sampling, labels), ``renderer``
(drawing; left/right and pose conventions), ``effects`` (background, light, degradations), ``video``
(clips), ``vary`` (one attribute at several values), ``dataset`` (the ``synth`` format), ``exporter``
(files as official datasets lay them out), ``sheet`` (contact sheets), ``cli`` (``facerep synth``,
``facerep show``).
"""
from __future__ import annotations

from .dataset import SynthDataset, make_sample, parse_synth_options

__all__ = ["SynthDataset", "make_sample", "parse_synth_options"]
