"""The face-api ports without the real weights: TF semantics of the layers (against a direct numpy reading of
TensorFlow's conv / pool / resize definitions), weight loading and its errors, the backbone contract."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from facerep.backbones.faceapi import NETWORKS, create_faceapi_network
from facerep.backbones.faceapi._image import landmark_box, pad_to_square, resize_bilinear
from facerep.backbones.faceapi._layers import (
    TfConv,
    TfSeparable,
    export_tf_params,
    max_pool_same,
    same_padding,
)
from facerep.backbones.faceapi._net import identify
from facerep.backbones.faceapi.tfjs import write_weights
from facerep.errors import ConfigError, DataError


def tf_conv_nhwc(x: np.ndarray, f: np.ndarray, stride: int, same: bool, depthwise: bool = False
                 ) -> np.ndarray:
    """TensorFlow conv2d / depthwiseConv2d by definition: x [H, W, C], f [k, k, C, O] (depthwise:
    [k, k, C, 1])."""
    k = f.shape[0]
    h, w, c = x.shape
    if same:
        (t, b), (le, r) = same_padding(h, k, stride), same_padding(w, k, stride)
        x = np.pad(x, ((t, b), (le, r), (0, 0)))
    oh, ow = (x.shape[0] - k) // stride + 1, (x.shape[1] - k) // stride + 1
    out = np.zeros((oh, ow, c if depthwise else f.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = x[i * stride:i * stride + k, j * stride:j * stride + k]
            out[i, j] = (patch * f[..., 0]).sum((0, 1)) if depthwise else np.einsum("abc,abco->o", patch, f)
    return out


@pytest.mark.parametrize("size, stride", [(8, 2), (7, 2), (6, 1)])
def test_conv_and_separable_follow_tensorflow(size, stride):
    torch.manual_seed(0)
    x = torch.randn(1, 3, size, size)
    xn = x[0].permute(1, 2, 0).double().numpy()
    conv = TfConv("c", 3, 4, 3, stride)
    tf = export_tf_params(conv)
    want = tf_conv_nhwc(xn, tf["c/filters"], stride, True) + tf["c/bias"]
    np.testing.assert_allclose(conv(x)[0].permute(1, 2, 0).detach().numpy(), want, atol=1e-5)
    sep = TfSeparable("s", 3, 5, stride)
    tf = export_tf_params(sep)
    dw = tf_conv_nhwc(xn, tf["s/depthwise_filter"], stride, True, depthwise=True)
    want = tf_conv_nhwc(dw, tf["s/pointwise_filter"], 1, False) + tf["s/bias"]
    np.testing.assert_allclose(sep(x)[0].permute(1, 2, 0).detach().numpy(), want, atol=1e-5)


def test_same_padding_puts_the_odd_pixel_last():
    assert same_padding(112, 3, 2) == (0, 1) and same_padding(7, 3, 2) == (1, 1)
    assert same_padding(8, 3, 1) == (1, 1)
    x = -torch.arange(16.0).view(1, 1, 4, 4)  # all negative: a zero pad would win the max
    assert max_pool_same(x, 3, 2)[0, 0].tolist() == [[-0.0, -2.0], [-8.0, -10.0]]


def test_resize_and_square_padding_follow_face_api():
    x = torch.tensor([[0.0, 10.0]])
    # source index = i * in / out, no half-pixel offset
    assert resize_bilinear(x.view(1, 1, 2), (1, 4)).view(-1).tolist() == [0.0, 5.0, 10.0, 10.0]
    img = np.random.default_rng(0).integers(0, 255, (3, 5, 2)).astype(np.float32)
    got = resize_bilinear(torch.from_numpy(img).permute(2, 0, 1), (4, 7)).permute(1, 2, 0).numpy()
    for i, j in [(0, 0), (3, 6), (2, 3), (1, 5)]:
        sy, sx = i * 3 / 4, j * 5 / 7
        y0, x0 = int(sy), int(sx)
        y1, x1 = min(y0 + 1, 2), min(x0 + 1, 4)
        top = img[y0, x0] + (img[y0, x1] - img[y0, x0]) * (sx - x0)
        bot = img[y1, x0] + (img[y1, x1] - img[y1, x0]) * (sx - x0)
        np.testing.assert_allclose(got[i, j], top + (bot - top) * (sy - y0), rtol=1e-6)
    sq, (top, left) = pad_to_square(np.ones((2, 5, 3), np.uint8), centre=True)  # diff 3: round(1.5) = 2 after
    assert sq.shape == (5, 5, 3) and (top, left) == (1, 0) and sq[:, 0, 0].tolist() == [0, 1, 1, 0, 0]
    assert landmark_box(np.array([[10.0, 20.0], [60.0, 120.0]])) == (5.0, 10.0, 60.0, 120.0)  # + 20 % of w, h


@pytest.mark.parametrize("network", NETWORKS.list())
def test_export_write_load_roundtrip_and_contract(tmp_path, network):
    torch.manual_seed(1)
    src = NETWORKS.get(network)().eval()
    weights = export_tf_params(src)
    assert identify(set(weights), {k: v.shape for k, v in weights.items()}) == network
    manifest = write_weights(tmp_path / f"{src.manifest}-weights_manifest.json", weights)
    model = create_faceapi_network(network, weights=tmp_path)
    size = model.native_size
    x = model.normalize(torch.rand(2, 3, size, size))
    with torch.no_grad():
        a, b = src.forward_features(x), model.forward_features(x)
    assert torch.equal(a["pooled"], b["pooled"]) and model.provenance["weights"] == str(manifest)
    assert b["pooled"].shape == (2, model.num_features) and torch.isfinite(b["pooled"]).all()
    assert [m.shape[1] for m in b["maps"]] == model.map_channels
    strides = [round(size / m.shape[-1]) for m in b["maps"]]
    assert strides[0] == 4 and strides == sorted(strides) and len(set(strides)) == len(strides)
    cfg = model.pretrained_cfg
    assert cfg.std == (1.0, 1.0, 1.0) and abs(cfg.mean[0] - 122.782 / 255) < 1e-9 and cfg.input_size == size


def test_errors_name_file_layer_and_network(tmp_path):
    torch.manual_seed(0)
    expr = export_tf_params(NETWORKS.get("expression")())
    wrong = write_weights(tmp_path / "e" / "face_expression_model-weights_manifest.json", expr)
    with pytest.raises(DataError, match=r"face_expression_model-weights_manifest\.json: holds the weights of "
                                        r"the face-api expression network, not of faceapi:landmarks68"):
        create_faceapi_network("landmarks68", weights=wrong)
    lm = export_tf_params(NETWORKS.get("landmarks68")())
    bad = dict(lm, **{"dense1/conv1/pointwise_filter": np.zeros((1, 1, 64, 32), np.float32)})
    m = write_weights(tmp_path / "s" / "face_landmark_68_model-weights_manifest.json", bad)
    with pytest.raises(DataError, match=r"weights_manifest\.json: layer 'dense1/conv1/pointwise_filter': the "
                                        r"file has shape \[1, 1, 64, 32\], the faceapi:landmarks68 network "
                                        r"expects \[1, 1, 64, 64\]"):
        create_faceapi_network("landmarks68", weights=m)
    missing = {k: v for k, v in lm.items() if k != "dense2/conv3/bias"}
    m = write_weights(tmp_path / "m" / "face_landmark_68_model-weights_manifest.json", missing)
    with pytest.raises(DataError, match="tensor 'dense2/conv3/bias' is missing: the faceapi:landmarks68"):
        create_faceapi_network("landmarks68", weights=m)
    m = write_weights(tmp_path / "x" / "face_landmark_68_model-weights_manifest.json",
                      dict(lm, extra=np.zeros(2)))
    with pytest.raises(DataError, match=r"1 tensors that the faceapi:landmarks68 network does not have, "
                                        r"e\.g\. \['extra'\]"):
        create_faceapi_network("landmarks68", weights=m)
    with pytest.raises(ConfigError, match="holds no face_recognition_model-weights_manifest.json"):
        create_faceapi_network("recognition", weights=tmp_path / "x")


def test_quantised_weights_load_and_small_inputs_are_refused(tmp_path):
    torch.manual_seed(0)
    src = NETWORKS.get("landmarks68-tiny")()
    w = export_tf_params(src)
    write_weights(tmp_path / "face_landmark_68_tiny_model-weights_manifest.json", w,
                  quantize=dict.fromkeys(w, "uint8"))
    loaded = export_tf_params(create_faceapi_network("landmarks68-tiny", weights=tmp_path))
    for name, arr in w.items():  # value = q * scale + min: within half a step of the written value
        assert np.abs(loaded[name] - arr).max() <= (float(np.ptp(arr)) or 1.0) / 255 / 2 + 1e-6, name
    with pytest.raises(ConfigError, match="faceapi:recognition takes inputs of at least 103 px, not 64"):
        NETWORKS.get("recognition")(image_size=64)
    with pytest.raises(ConfigError, match="at least 103 px, got \\[96, 96\\]"):
        NETWORKS.get("recognition")().forward_features(torch.zeros(1, 3, 96, 96))
