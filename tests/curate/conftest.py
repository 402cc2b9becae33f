"""Small offline inputs for the curation tests: scikit-image's astronaut() and short OpenCV videos."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage.data import astronaut as load

    return load()
