from __future__ import annotations

import json

import numpy as np
import pandas as pd
from curate_media import write_manifest_dir


def test_redundancy_cli_on_a_manifest_with_dedup(cli, tmp_path):
    # 3 videos of 4 identical frames + 3 distinct images: 6 groups of 15 faces
    write_manifest_dir(tmp_path / "data", n_videos=3, frames=4, images=3)
    code, out, err = cli("-q", "redundancy", tmp_path / "data", "--dedup", tmp_path / "dedup",
                         "--out", tmp_path / "rep", "--save-embeddings", tmp_path / "emb.npy")
    assert code == 0, err
    rep = json.loads((tmp_path / "rep" / "redundancy.json").read_text())
    assert rep["faces"] == 15 and rep["groups"] == 6 and abs(rep["redundancy"] - 0.6) < 1e-9
    assert rep["groups_within_one_video"] == 3 and rep["groups_across_videos"] == 0
    curve = {c["stride"]: (c["faces"], c["effective"]) for c in rep["effective_size"]}
    assert curve[1] == (15, 6) and curve[2] == (9, 6) and curve[4] == (6, 6)
    kept = pd.read_parquet(tmp_path / "dedup" / "manifest.parquet")
    assert len(kept) == 6
    # the sharpest frame of each video is kept (sharpness = frame position in the fixture)
    assert sorted(kept[kept.video.notna()].frame) == [6, 6, 6]
    assert "redundancy" in out and "deduplicated manifest" in out
    groups = pd.read_parquet(tmp_path / "rep" / "groups.parquet")
    assert groups.group.nunique() == 6 and (tmp_path / "rep" / "effective_size.csv").is_file()
    # precomputed embeddings give the same report; a wrong shape is a clear error
    code, out2, err = cli("-q", "redundancy", f"manifest:{tmp_path / 'data'}", "--embeddings", tmp_path / "emb.npy",
                          "--out", tmp_path / "rep2")
    assert code == 0, err
    assert json.loads((tmp_path / "rep2" / "redundancy.json").read_text())["groups"] == 6
    np.save(tmp_path / "bad.npy", np.zeros((3, 4), np.float32))
    code, _, err = cli("-q", "redundancy", tmp_path / "data", "--embeddings", tmp_path / "bad.npy")
    assert code == 2 and "expected [15, D]" in err


def test_redundancy_cli_rejects_bad_threshold(cli, tmp_path):
    write_manifest_dir(tmp_path / "data", n_videos=1, frames=2, images=1)
    code, _, err = cli("-q", "redundancy", tmp_path / "data", "--threshold", "1.5")
    assert code == 2 and "threshold" in err
