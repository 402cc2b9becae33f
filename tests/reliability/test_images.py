"""Every bad image of the corpus gives a DataError that names the file; odd-but-valid images decode."""
import numpy as np
import pytest

from facerep.errors import DataError
from facerep.io import read_image

from . import corpus


@pytest.mark.parametrize("writer, msg", [
    (corpus.truncated_jpeg, "cannot decode image"),
    (corpus.zero_byte_png, "empty"),
    (corpus.text_as_jpg, "not an image file"),
])
def test_bad_images_named(tmp_path, writer, msg):
    p = writer(tmp_path)
    with pytest.raises(DataError, match=msg) as e:
        read_image(p)
    assert str(p) in str(e.value)


@pytest.mark.parametrize("writer", [corpus.png16, corpus.cmyk_jpeg])
def test_unusual_but_valid_images_decode_to_rgb8(tmp_path, writer):
    img = read_image(writer(tmp_path))
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and img.max() > 0


def test_paths_with_spaces_and_non_ascii(tmp_path):
    for p in corpus.odd_names(tmp_path):
        assert read_image(p).shape == (48, 48, 3)
