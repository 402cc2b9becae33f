"""Data: the FaceSample record, formats, the synthetic face source, transforms and splits."""
from .formats import load_dataset
from .sample import LABEL_KINDS, DatasetInfo, FaceDataset, FaceSample, collate

__all__ = ["LABEL_KINDS", "DatasetInfo", "FaceDataset", "FaceSample", "collate", "load_dataset"]
