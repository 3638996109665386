"""Shared loading of benchmark texts: the bundled seeds and the Livedoor corpus in ../shared."""

from __future__ import annotations

import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIVEDOOR = REPO.parent / "shared" / "corpora" / "livedoor-news-corpus.tar.gz"


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]


def livedoor_articles(limit: int | None = None) -> list[tuple[str, str, str]]:
    """``(category, file name, text)`` of Livedoor articles (LICENSE/README files left out),
    read straight from the archive; empty when the archive is absent."""
    if not LIVEDOOR.exists():
        return []
    articles = []
    with tarfile.open(LIVEDOOR) as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3 or not parts[2].endswith(".txt"):
                continue
            if parts[2].startswith("LICENSE"):
                continue
            data = tar.extractfile(member).read()
            articles.append((parts[1], parts[2], data.decode("utf-8")))
            if limit is not None and len(articles) >= limit:
                break
    return articles
