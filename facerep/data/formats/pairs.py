"""Verification pairs: LFW's ``pairs.txt`` in its official layout, or a CSV ``file_x,file_y,same``.

LFW layout: PATH is the folder holding ``pairs.txt`` and ``lfw/`` (or ``lfw-deepfunneled/``,
``lfw_funneled/``), or the ``pairs.txt`` file itself. Its first line is ``<folds> <pairs per fold>``
(``pairsDevTrain.txt`` style: just ``<pairs>``, one fold); then, per fold, the matched lines
``name n1 n2`` followed by the mismatched lines ``name1 n1 name2 n2`` (tabs or spaces). Image n of
a person is ``lfw/<name>/<name>_<nnnn>.jpg``. Identities are numbered by sorted name.

CSV: PATH is a ``.csv`` file with the header ``file_x,file_y,same`` (paths relative to the CSV's
folder; same = 1/0/true/false); it gives pairs but no identities.

The samples are the distinct images of the pairs; ``DatasetInfo.extra["pairs"]`` holds int arrays
``i``, ``j`` (sample indices), bool ``same`` and int ``fold`` (the 10-fold protocol's fold).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataError
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    check_no_split,
    first_existing,
    make_info,
    parse_int,
    read_csv,
    read_lines,
)

TRUE = {"1", "true", "yes", "same"}
FALSE = {"0", "false", "no", "different", "-1"}


def read_lfw_pairs(path: Path) -> list[tuple[str, int, str, int, bool, int, int]]:
    """(name1, n1, name2, n2, same, fold, line) for every pair line of an LFW pairs file."""
    rows = [(n, ln.split()) for n, ln in enumerate(read_lines(path), 1) if ln.strip()]
    if not rows:
        raise DataError("empty pairs file; expected '<folds> <pairs per fold>' on line 1", str(path), 1)
    head = [parse_int(t, path, 1, "header number") for t in rows[0][1]]
    if len(head) not in (1, 2):
        raise DataError("line 1 must be '<folds> <pairs per fold>' or '<pairs>'", str(path), rows[0][0])
    folds, per = (1, head[0]) if len(head) == 1 else head
    if len(rows) - 1 != 2 * folds * per:
        raise DataError(f"header promises {folds} folds × {per} matched + {per} mismatched pairs = "
                        f"{2 * folds * per} lines, found {len(rows) - 1}", str(path), rows[0][0])
    out = []
    for k, (n, tok) in enumerate(rows[1:]):
        fold, same = k // (2 * per), k % (2 * per) < per
        if same and len(tok) == 3:
            out.append((tok[0], parse_int(tok[1], path, n, "image number"), tok[0],
                        parse_int(tok[2], path, n, "image number"), True, fold, n))
        elif not same and len(tok) == 4:
            out.append((tok[0], parse_int(tok[1], path, n, "image number"), tok[2],
                        parse_int(tok[3], path, n, "image number"), False, fold, n))
        else:
            want = "'name n1 n2' (matched pair)" if same else "'name1 n1 name2 n2' (mismatched pair)"
            raise DataError(f"expected {want}, found {len(tok)} fields", str(path), n)
    return out


def _build(pairs: list[tuple[str, str, bool, int, tuple[str, int]]],
           identity: dict[str, int] | None) -> tuple[list[Item], dict]:
    """Distinct images (in order of first mention) and the pair arrays over their indices."""
    index: dict[str, int] = {}
    items: list[Item] = []
    ii: list[int] = []
    jj: list[int] = []
    for a, b, _, _, source in pairs:
        for f, acc in ((a, ii), (b, jj)):
            if f not in index:
                index[f] = len(items)
                labels = {"identity": identity[f]} if identity is not None else {}
                items.append(Item(f, labels, source=source))
            acc.append(index[f])
    extra = {"i": np.array(ii, dtype=np.int64), "j": np.array(jj, dtype=np.int64),
             "same": np.array([p[2] for p in pairs], dtype=bool),
             "fold": np.array([p[3] for p in pairs], dtype=np.int64)}
    return items, extra


@register_format("pairs",
                 description="LFW pairs.txt (official layout, with identities) or CSV file_x,file_y,same "
                                     "(pairs only); recognition tests every pair")
class FormatPairs(FormatBase):
    provides = frozenset({"identity"})
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("pairs", split)
        p = Path(path)
        if p.suffix.lower() == ".csv":
            _, rows = read_csv(p, ("file_x", "file_y", "same"))
            pairs = []
            for n, row in rows:
                s = row["same"].lower()
                if s not in TRUE | FALSE:
                    raise DataError(f"same is {row['same']!r}; expected 1/0 or true/false", str(p), n)
                pairs.append((str(p.parent / row["file_x"]), str(p.parent / row["file_y"]), s in TRUE, 0,
                              (str(p), n)))
            items, extra = _build(pairs, None)
            provides: frozenset[str] = frozenset()
        else:
            txt = p if p.is_file() else first_existing([p / "pairs.txt"], "pairs", "pairs.txt")
            folder = txt.parent
            images = first_existing([folder / d for d in ("lfw", "lfw-deepfunneled", "lfw_funneled")],
                                    "pairs", "the LFW image folder")
            raw = read_lfw_pairs(txt)

            def file(name: str, k: int) -> str:
                return str(images / name / f"{name}_{k:04d}.jpg")

            names = {n: k for k, n in enumerate(sorted({r[0] for r in raw} | {r[2] for r in raw}))}
            pairs = [(file(a, i), file(b, j), same, fold, (str(txt), n)) for a, i, b, j, same, fold, n in raw]
            ids = {file(r[0], r[1]): names[r[0]] for r in raw}
            ids.update({file(r[2], r[3]): names[r[2]] for r in raw})
            items, extra = _build(pairs, ids)
            provides = self.provides
        if not items:
            raise DataError("pairs: no pairs listed", str(p))
        return LazyDataset(items, make_info("pairs", provides, extra={"pairs": extra}))
