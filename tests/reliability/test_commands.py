"""Every bad input of the corpus through every command that reads data: a one-line error naming the file (and
line / pixel / point), or a counted skip that the summary output and the command's outputs show.

``MATRIX`` (case -> command -> Expect) drives the tests *and* docs/reliability.md: ``python -m
tests.reliability.test_commands`` rewrites the table, and ``test_docs_table_is_the_matrix`` fails when the two
disagree, so the published table says only what these tests assert. Commands run in-process (the ``cli``
fixture), on tiny data (timm:test_resnet at 32 px, 3 pre-training steps, 5 head steps); one run serves every
cell that reads the same output.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from . import corpus

COMMANDS = ("info", "bench", "pretrain", "curate", "redundancy")
HAS_SKIP_FLAG = {"info", "bench", "redundancy"}  # pretrain and curate stream: they always skip and count


@dataclass(frozen=True)
class Expect:
    """kind: ``error`` (one-line error, also with --skip-bad), ``error/skip`` (error; a counted skip with
    --skip-bad), ``skip`` (counted skip, no flag needed), ``kept`` (read and used like any good sample),
    ``ignored`` (not followed; the run completes), ``n/a`` (this command does not read it). ``text``: the excerpt
    asserted in the message, which also names the file (for kept, ignored and n/a: what happens)."""

    kind: str
    text: str
    at: str = ""  # what follows the file name in an error: ":LINE" for a line of an annotation file


CURATE_NOTE = "curate reads images and videos only, no annotation files"


def _image(text: str) -> dict[str, Expect]:
    return {"info": Expect("error/skip", text), "bench": Expect("error/skip", text),
            "pretrain": Expect("skip", text), "curate": Expect("skip", text),
            "redundancy": Expect("error/skip", text)}


def _kept(curate: str = "processed (decoded, searched for faces)") -> dict[str, Expect]:
    return {c: Expect("kept", curate if c == "curate" else "counted as a good sample") for c in COMMANDS}


def _open_error(text: str, at: str) -> dict[str, Expect]:
    return {**{c: Expect("error", text, at) for c in COMMANDS if c != "curate"},
            "curate": Expect("n/a", CURATE_NOTE)}


NO_LABELS = "labels are not used: pre-training and redundancy read images only"
MATRIX: dict[str, dict[str, Expect]] = {
    "truncated JPEG": _image("cannot decode image (image file is truncated"),
    "zero-byte PNG": _image("image file is empty (0 bytes)"),
    "text file named .jpg": _image("not an image file (PIL cannot identify it)"),
    "16-bit PNG": _kept(),
    "CMYK JPEG": _kept(),
    ".pts with 67 points": _open_error("header says n_points: 68 but 67 points are listed", ":71"),
    ".pts with NaN": {"info": Expect("error/skip", "landmarks2d: point 4 is not a finite number"),
                      "bench": Expect("error/skip", "landmarks2d: point 4 is not a finite number"),
                      "pretrain": Expect("n/a", NO_LABELS), "redundancy": Expect("n/a", NO_LABELS),
                      "curate": Expect("n/a", CURATE_NOTE)},
    "mask of the wrong size": {
        **{c: Expect("error/skip", "label image is 40×48 but its image is 48×48")
           for c in ("info", "bench", "redundancy")},
        "pretrain": Expect("skip", "label image is 40×48 but its image is 48×48"),
        "curate": Expect("n/a", CURATE_NOTE)},
    "mask class id out of range": {
        **{c: Expect("error/skip", "pixel (x=5, y=3) has class id 12")
           for c in ("info", "bench", "redundancy")},
        "pretrain": Expect("skip", "pixel (x=5, y=3) has class id 12"),
        "curate": Expect("n/a", CURATE_NOTE)},
    "CSV missing a column": _open_error("CSV header lacks column(s) arousal", ":1"),
    "unknown expression label": _open_error("expression code 12; expected 0..10", ":10"),
    "one face listed twice in a split": {
        "info": Expect("error/skip", "sample 8 repeats sample 0 (same file, frame and box)"),
        "bench": Expect("error/skip", "sample 8 repeats sample 0 (same file, frame and box)"),
        "pretrain": Expect("n/a", "not checked: pre-training sees that face twice per pass"),
        "redundancy": Expect("kept", "both rows are embedded and reported as one duplicate group"),
        "curate": Expect("n/a", "curate reads images and videos only, no annotation lists")},
    "same file name in two folders": _kept("processed: both files, each under its own path"),
    "symlink loop in an image folder": {
        **{c: Expect("ignored", "symlinked folders are not followed; the run completes") for c in COMMANDS},
        "curate": Expect("skip", "(symlink-loop): symbolic link loop: 'again' points back to")},
    "path with spaces and non-ASCII": {
        **_image("cannot decode image"),
        "curate": Expect("skip", "Zoë Ångström dir/broken [v2] é.jpg (unreadable): cannot decode image")},
}
# the same odd-path folder also holds two valid images (space / non-ASCII names) that every command must keep
ODD_GOOD = ("Zoë Ångström dir/face one.png", "Zoë Ångström dir/visage_é.png")


@dataclass
class Case:
    fmt: str  # dataset format
    task: str  # the bench task that reads it
    err_dir: Path  # a dataset whose only bad input is this case (error runs)
    err_bad: Path  # the file its error must name
    shared_dir: Path  # the dataset holding every case of its format (skip / kept runs)
    bad: Path  # the case's file there

    def spec(self, d: Path) -> str:
        return f"{self.fmt}:{d}"


N_BAD = {"faces": 4, "lapa": 2, "lm_nan": 1, "dup": 1}  # bad samples in each shared dataset
N_GOOD = {"faces": 18, "lapa": 6, "lm_nan": 6, "dup": 8}


def _faces(root: Path) -> dict[str, Path]:
    """imagefolder, 5 identities: every image case; 18 good + 4 bad files (and a symlink loop)."""
    for who in ("alice", "bob", "carol", "dave"):
        (root / who).mkdir(parents=True, exist_ok=True)
        for k in range(3):
            corpus.good_rgb(40).save(root / who / f"{k}.png")
        if who in ("alice", "bob"):
            corpus.good_rgb(40).save(root / who / "dup.png")
    corpus.odd_names(root)
    return {"truncated JPEG": corpus.truncated_jpeg(root / "alice"),
            "zero-byte PNG": corpus.zero_byte_png(root / "bob"),
            "text file named .jpg": corpus.text_as_jpg(root / "alice"),
            "16-bit PNG": corpus.png16(root / "bob"), "CMYK JPEG": corpus.cmyk_jpeg(root / "alice"),
            "same file name in two folders": root / "bob" / "dup.png",
            "symlink loop in an image folder": corpus.symlink_loop(root / "bob"),
            "path with spaces and non-ASCII": _odd_bad(root)}


def _odd_bad(d: Path) -> Path:
    """A truncated JPEG whose name has spaces, brackets (rich markup!) and non-ASCII characters."""
    d = d / "Zoë Ångström dir"
    d.mkdir(parents=True, exist_ok=True)
    return corpus.truncated_jpeg(d).rename(d / "broken [v2] é.jpg")


def _one_bad(root: Path, writer) -> Path:
    """imagefolder: class 'a' holds the bad file (read first), 'a' and 'b' one good face each."""
    for who in ("a", "b"):
        (root / who).mkdir(parents=True, exist_ok=True)
        corpus.good_rgb(40).save(root / who / "z.png")
    return writer(root / "a")


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("matrix")
    out: dict[str, Case] = {}
    for name, bad in _faces(root / "faces").items():
        out[name] = Case("imagefolder", "recognition", root / "faces", bad, root / "faces", bad)
    for k, (name, writer) in enumerate((("truncated JPEG", corpus.truncated_jpeg),
                                        ("zero-byte PNG", corpus.zero_byte_png),
                                        ("text file named .jpg", corpus.text_as_jpg),
                                        ("path with spaces and non-ASCII", _odd_bad))):
        out[name].err_dir = root / f"one{k}"
        out[name].err_bad = _one_bad(root / f"one{k}", writer)
    nan = corpus.ibug_dataset(root / "lm_nan", nan=True)["nan"].with_suffix(".png")
    out[".pts with NaN"] = Case("300w", "landmarks2d", root / "lm_nan", nan, root / "lm_nan", nan)
    n67 = corpus.ibug_dataset(root / "lm_67", n67=True)["n67"]
    out[".pts with 67 points"] = Case("300w", "landmarks2d", root / "lm_67", n67, root / "lm_67", n67)
    both = corpus.lapa_dataset(root / "lapa", wrong_size=True, bad_class=True)
    for case, key in (("mask of the wrong size", "mask_size"), ("mask class id out of range", "mask_class")):
        one = corpus.lapa_dataset(root / key, n_good=2, **{"wrong_size" if key == "mask_size" else "bad_class": True})
        out[case] = Case("lapa", "parsing", root / key, one[key], root / "lapa", both[key])
    for case, d, kw in (("CSV missing a column", "csv", "drop_column"),
                        ("unknown expression label", "expr", "unknown_label"),
                        ("one face listed twice in a split", "dup", "duplicate")):
        csv = corpus.affectnet_dataset(root / d, **{kw: True})
        bad = root / d / "img0.png" if d == "dup" else csv
        out[case] = Case("affectnet", "expression", root / d, bad, root / d, bad)
    return out


RUNS: dict[tuple[str, ...], tuple[int, str, str]] = {}


def _args(command: str, case: Case, d: Path, skip: bool, out: Path) -> list[str]:
    flag = ["--skip-bad"] if skip else []
    spec = case.spec(d)
    if command == "info":
        return ["-q", "info", spec, *flag]
    if command == "bench":
        return ["-q", "bench", "--backbone", "timm:test_resnet", "--tasks", case.task, "--data", spec,
                "--image-size", "32", "--out", str(out), "head_steps=5", "n_pairs=20",
                f"cache_dir={d.parent / 'cache'}", *flag]
    if command == "pretrain":
        return ["-q", "pretrain", "--method", "simclr", "--backbone", "timm:test_resnet", "--data", spec, "--steps",
                "3", "--batch-size", "8", "--image-size", "32", "--out", str(out), "--num-workers", "0",
                "--accelerator", "cpu", "simclr.proj_hidden_dim=32", "simclr.proj_dim=16", "checkpoint_every=100"]
    if command == "curate":
        return ["-q", "curate", str(d), str(out), "--detector", "haar"]
    return ["-q", "redundancy", spec, "--out", str(out), "--backbone", "timm:test_resnet", "--set", "image_size=32",
            "--set", "batch_size=8", *flag]


@pytest.fixture
def run(cli):
    """run(command, case, dataset dir, skip) -> (code, stdout, stderr, out dir); each distinct run happens once."""
    def go(command: str, case: Case, d: Path, skip: bool) -> tuple[int, str, str, Path]:
        out = d.parent / "out" / f"{command}-{d.name}-{int(skip)}"
        args = _args(command, case, d, skip, out)
        if tuple(args) not in RUNS:
            RUNS[tuple(args)] = cli(*args)
        return (*RUNS[tuple(args)], out)
    return go


CELLS = [(case, cmd) for case, row in MATRIX.items() for cmd in COMMANDS if row[cmd].kind != "n/a"]


@pytest.mark.parametrize("case, command", CELLS, ids=[f"{c}|{m}" for c, m in CELLS])
def test_cell(cases, run, case, command):
    expect, c = MATRIX[case][command], cases[case]
    if expect.kind in ("error", "error/skip"):
        _assert_error(*run(command, c, c.err_dir, False)[:3], f"{c.err_bad}{expect.at}", expect.text)
        if expect.kind == "error" and command in HAS_SKIP_FLAG:  # --skip-bad cannot skip a broken annotation file
            _assert_error(*run(command, c, c.err_dir, True)[:3], f"{c.err_bad}{expect.at}", expect.text)
        if expect.kind == "error":
            return
    code, out, err, out_dir = run(command, c, c.shared_dir, command in HAS_SKIP_FLAG)
    assert code == 0, err
    if expect.kind in ("error/skip", "skip"):
        _assert_skip(command, out, out_dir, c, expect.text)
    else:
        _assert_kept(command, out, out_dir, c, case)


def _assert_error(code: int, out: str, err: str, where: str, text: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1, (code, out, err)
    assert f"error: {where}: " in lines[0] and text in lines[0], lines[0]
    assert "Traceback" not in err


def _assert_skip(command: str, out: str, out_dir: Path, c: Case, text: str) -> None:
    """The skip is counted (exact number of bad samples) and named (file + reason) in stdout and the outputs."""
    n_bad, n_good, path = N_BAD[c.shared_dir.name], N_GOOD[c.shared_dir.name], str(c.bad)
    stdout_skips = [ln for ln in out.splitlines() if "skipped" in ln]
    if command == "info":
        assert any(path in ln and text in ln for ln in stdout_skips), out
        assert f"{n_good} ok of {n_good + n_bad} scanned" in out
    elif command == "bench":
        assert f"{n_bad} bad sample(s) skipped" in out
        messages = pd.read_csv(out_dir / "skipped.csv")["message"]
        assert len(messages) == n_bad and any(path in m and text in m for m in messages)
        _assert_bench_used(out_dir, n_good)
    elif command == "pretrain":
        meta = json.loads((out_dir / "backbone.json").read_text())
        assert meta["skipped_samples"] == n_bad and meta["steps"] == 3
        assert any(path in m and text in m for m in meta["skipped_examples"]), meta["skipped_examples"]
        assert f"skipped {n_bad} bad sample(s)" in out and any(path in ln and text in ln for ln in stdout_skips)
    elif command == "curate":
        summary = json.loads((out_dir / "summary.json").read_text())
        rel = c.bad.relative_to(c.shared_dir).as_posix()
        assert len(summary["skipped"]) == n_bad + 1  # + the symlink loop
        assert any(r == rel and text in f"{r} ({kind}): {msg}" for r, kind, msg in summary["skipped"])
        assert any(text in ln for ln in stdout_skips) and summary["processed"] == n_good
    else:
        rep = json.loads((out_dir / "redundancy.json").read_text())
        assert rep["skipped"] == n_bad and rep["faces"] == n_good
        assert any(path in m and text in m for m in rep["skipped_examples"])
        assert any(path in ln and text in ln for ln in stdout_skips)


def _assert_bench_used(out_dir: Path, n_good: int) -> None:
    rec = pd.read_csv(out_dir / "records.csv")
    linear = rec[rec["mode"] == "linear"]
    assert len(linear) and (linear["n_train"] + linear["n_test"] == n_good).all()


def _assert_kept(command: str, out: str, out_dir: Path, c: Case, case: str) -> None:
    """The file (for the odd-path case also its two valid siblings) is read like any good sample; nothing is lost."""
    n_bad, n_good = N_BAD[c.shared_dir.name], N_GOOD[c.shared_dir.name]
    name = c.bad.name
    if command == "info":
        assert f"{n_good} ok of {n_good + n_bad} scanned" in out
        assert not any(name in ln for ln in out.splitlines() if "skipped #" in ln)
    elif command == "bench":
        _assert_bench_used(out_dir, n_good)
        assert not any(name in m for m in pd.read_csv(out_dir / "skipped.csv")["message"])
    elif command == "pretrain":
        meta = json.loads((out_dir / "backbone.json").read_text())
        assert meta["skipped_samples"] == n_bad and not any(name in m for m in meta["skipped_examples"])
    elif command == "curate":
        summary = json.loads((out_dir / "summary.json").read_text())
        assert summary["processed"] == summary["frames"] == n_good
        assert not any(name in rel for rel, kind, _ in summary["skipped"] if kind != "symlink-loop")
    else:
        rep = json.loads((out_dir / "redundancy.json").read_text())
        groups = pd.read_parquet(out_dir / "groups.parquet")
        if case == "one face listed twice in a split":  # not a bad sample here: the very duplicate it reports
            group = groups.set_index("index")["group"]
            assert rep["faces"] == len(groups) == 9 and rep["skipped"] == 0
            assert group[0] == group[8] and rep["duplicate_groups"] >= 1
            return
        assert rep["faces"] == n_good == len(groups) and rep["skipped"] == n_bad
        from facerep.data.formats import load_dataset

        files = {load_dataset(c.spec(c.shared_dir)).items[i].image for i in groups["index"]}
        wanted = [str(c.shared_dir / n) for n in ODD_GOOD]
        if case != "symlink loop in an image folder":
            wanted.append(str(c.bad))
        assert set(wanted) <= files, set(wanted) - files


def test_bench_skips_reach_the_report(cases, run, cli):
    """The bad samples a bench run skipped are counted and listed in ``facerep report``'s page and report.md."""
    c = cases["truncated JPEG"]
    code, _, err, out_dir = run("bench", c, c.shared_dir, True)
    assert code == 0, err
    code, _, err = cli("-q", "report", out_dir, "--out", out_dir / "report.html", "--set", "figure_format=svg")
    assert code == 0, err
    md = (out_dir / "report.md").read_text(encoding="utf-8")
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert f"- skipped samples: {N_BAD['faces']}" in md
    assert f"{N_BAD['faces']} samples were skipped as unreadable" in html and "truncated.jpg" in html


# ---- docs/reliability.md: the table is rendered from MATRIX ---------------------------------------------------
DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
START, END = "<!-- matrix: generated by `python -m tests.reliability.test_commands`; do not edit -->", "<!-- /matrix -->"
LABEL = {"error": "**error**", "error/skip": "**error**; `--skip-bad`: **counted skip**", "skip": "**counted skip**",
         "kept": "kept", "ignored": "ignored", "n/a": "n/a"}


def _cell(e: Expect) -> str:
    if e.kind in ("error", "error/skip", "skip"):
        where = f"`FILE{e.at}: …` " if e.at else ""
        return f"{LABEL[e.kind]}: {where}“{e.text}”".replace("|", "\\|")
    return f"{LABEL[e.kind]} ({e.text})".replace("|", "\\|")


def render_table() -> str:
    """The markdown table of MATRIX (bad input × command)."""
    rows = ["| bad input | " + " | ".join(f"`facerep {c}`" for c in COMMANDS) + " |",
            "|---|" + "---|" * len(COMMANDS)]
    for case, row in MATRIX.items():
        rows.append(f"| {case} | " + " | ".join(_cell(row[c]) for c in COMMANDS) + " |")
    return "\n".join([START, *rows, END])


def _doc_table(text: str) -> str:
    return text[text.index(START):text.index(END) + len(END)]


def test_docs_table_is_the_matrix():
    assert _doc_table(DOC.read_text(encoding="utf-8")) == render_table(), \
        "docs/reliability.md is stale: run python -m tests.reliability.test_commands"


if __name__ == "__main__":  # rewrite the table in docs/reliability.md
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(text.replace(_doc_table(text), render_table()), encoding="utf-8")
    print(f"wrote the table of {len(CELLS)} tested cells to {DOC}")
