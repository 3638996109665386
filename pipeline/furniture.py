"""Corpus furniture: the lines and title labels a site repeats in many of its articles.

One article cannot tell its outlet's template from its text: a footer paragraph
(``livedoor求人・転職は、…``), a column's blurb (``digi2は「デジタル通」の略です。…``), a
byline (``上倉賢 @kamikura [digi2(デジ通)]``), or a title label (``【Sports Watch】…``,
``…【デジ通】``) reads like any other line. Across the corpus it is plain: the same line in
hundreds of articles. A line found word for word (numbers aside) in at least
``MIN_ARTICLES`` articles and ``MIN_SHARE`` of the corpus, and a title label (a bracketed
name, or a last segment after a dash) that starts or ends that many titles, is furniture:
the segmenter keeps it in the text (and a repeated heading stays a heading) but blanks it in
``analysis_text``, so it is neither a topic term nor theme evidence.

The census runs over every article before segmentation (per chunk, merged); lines are
counted by a stable 8-byte hash, once per article, and copies of an article once. It keeps
each article's line hashes to merge parts: about 10 bytes a line (some 2 MB for Livedoor's
7,367 articles, 300 MB for a million).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .ingest import front_matter, is_livedoor_header

MIN_ARTICLES = 20
MIN_SHARE = 0.005
# A title label: a bracketed name at the start or the end of a title, or a last segment
# after a dash or bar (… - 辛口説教部屋 vol.9, …｜ニュース).
_LABEL_RE = re.compile(r"^[【［][^】］]{1,30}[】］]|[【［][^】］]{1,30}[】］]$"
                       r"|\s[-－–—|｜]\s*[^-－–—|｜]{1,30}$")
_DIGITS_RE = re.compile(r"[0-9０-９]+")


def _shape(text: str) -> str:
    """A line or label with its numbers made alike (vol.9 and vol.37 are one template)."""
    return _DIGITS_RE.sub("0", text.strip())


def _digest(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def line_key(line: str) -> int:
    """A stable hash of a line's shape (the same in every worker process)."""
    return _digest(_shape(line).encode("utf-8"))


def body_start(lines: list[str]) -> int:
    """Index of the first line of text: after a Livedoor URL/date header or a Markdown front
    matter, and the blank lines after them."""
    first = 2 if is_livedoor_header(lines) else front_matter(lines)[0]
    while first < len(lines) and not lines[first].strip():
        first += 1
    return first


@dataclass(frozen=True)
class Label:
    """A title label: its shape (numbers made alike) and its span in the title line."""

    key: str
    start: int
    end: int


def title_labels(title: str) -> list[Label]:
    """The labels that start or end a title line."""
    return [Label(_shape(m.group(0)), m.start(), m.end()) for m in _LABEL_RE.finditer(title)
            if m.group(0).strip()]


@dataclass
class Census:
    """How many different articles hold each line and each title label.

    A copy of an article already counted (a syndicated story, the same file twice) counts
    nothing: otherwise twenty copies of one story would make its every line furniture.
    """

    n_articles: int = 0
    lines: Counter[int] = field(default_factory=Counter)  # line_key -> articles
    labels: Counter[str] = field(default_factory=Counter)  # title label -> articles
    # Each counted article, by the hash of its lines: its line keys and title labels, so that
    # a copy found in another chunk's census can be taken out when the two are merged.
    articles: dict[int, tuple[np.ndarray, tuple[str, ...]]] = field(default_factory=dict)

    def add(self, text: str) -> None:
        """Count one article's lines and title labels (once each)."""
        raw = text.splitlines()
        first = body_start(raw)
        body = [ln.strip() for ln in raw[first:] if ln.strip()]
        keys = np.unique(np.array([line_key(ln) for ln in body], dtype=np.uint64))
        labels = tuple(sorted({label.key for label in title_labels(raw[first])})
                       if first < len(raw) else ())
        # A copy is the same text word for word (numbers too), whatever its header says.
        article = _digest("\n".join(body).encode("utf-8"))
        if article in self.articles:
            return
        self.articles[article] = (keys, labels)
        self.lines.update(keys.tolist())
        self.labels.update(labels)
        self.n_articles += 1

    def merge(self, other: Census) -> None:
        """Add another part's census; articles counted in both count once."""
        self.lines.update(other.lines)
        self.labels.update(other.labels)
        self.n_articles += other.n_articles
        for article, (keys, labels) in other.articles.items():
            if article in self.articles:
                self.lines.subtract(keys.tolist())
                self.labels.subtract(labels)
                self.n_articles -= 1
            else:
                self.articles[article] = (keys, labels)


def census(texts: Iterable[str]) -> Census:
    """The census of some articles' texts."""
    counted = Census()
    for text in texts:
        counted.add(text)
    return counted


@dataclass(frozen=True)
class Furniture:
    """What the segmenter blanks in ``analysis_text``: line hashes (:func:`line_key`) and
    title labels."""

    lines: frozenset[int] = frozenset()
    labels: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.lines or self.labels)


NO_FURNITURE = Furniture()


def furniture(counted: Census, min_articles: int = MIN_ARTICLES,
              min_share: float = MIN_SHARE) -> Furniture:
    """The lines and labels found in at least ``min_articles`` articles and ``min_share`` of
    the corpus."""
    floor = max(min_articles, min_share * counted.n_articles)
    return Furniture(frozenset(k for k, n in counted.lines.items() if n >= floor),
                     frozenset(k for k, n in counted.labels.items() if n >= floor))
