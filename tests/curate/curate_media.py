"""Helpers that write small test media (imported by the curation tests)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_video(path: Path, image: np.ndarray, frames: int = 12, fps: float = 10.0, size: int = 192,
                codec: str = "MJPG") -> Path:
    """A short video of ``image`` resized to size×size, drifting 1 px right per frame (RGB in)."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    base = cv2.cvtColor(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (size, size))
    assert writer.isOpened(), f"OpenCV cannot write {codec} video"
    for i in range(frames):
        writer.write(np.ascontiguousarray(np.roll(base, i, axis=1)))
    writer.release()
    return path


def save_image(path: Path, image: np.ndarray) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path


def write_manifest_dir(root: Path, n_videos: int = 3, frames: int = 4, images: int = 3, size: int = 32,
                       seed: int = 0) -> object:
    """A manifest folder of smooth random crops: each video repeats one picture over its frames (exact
    near-duplicates), images are all different. Returns the DataFrame written to root/manifest.parquet."""
    import cv2
    import pandas as pd
    from PIL import Image

    rng = np.random.default_rng(seed)

    def picture() -> np.ndarray:  # a smooth random picture (distinct ones do not look alike)
        low = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
        return cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC)

    rows = []
    for v in range(n_videos):
        pic = picture()
        for f in range(frames):
            rows.append({"source": f"v{v}.mp4", "video": f"v{v}.mp4", "subject": f"id{v % 2}", "frame": 2 * f,
                         "img": pic, "sharpness": float(f)})
    for i in range(images):
        rows.append({"source": f"img{i}.png", "video": None, "subject": f"id{i % 2}", "frame": -1,
                     "img": picture(), "sharpness": 10.0 + i})
    for k, row in enumerate(rows):
        rel = f"crops/{k:03d}.png"
        (root / "crops").mkdir(parents=True, exist_ok=True)
        Image.fromarray(row.pop("img")).save(root / rel)
        row["crop"] = rel
        row["identity"] = int(row["subject"][2:])
        row["crop_landmarks"] = [10.0, 12.0, 22.0, 12.0, 16.0, 18.0, 11.0, 24.0, 21.0, 24.0]
    df = pd.DataFrame(rows)
    df.to_parquet(root / "manifest.parquet", index=False)
    return df
