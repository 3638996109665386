from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/ is absent (only CI and developer machines have it)")
    return SHARED


@pytest.fixture(scope="session")
def seeds_result():
    """One full run on the seeds, shared by the end-to-end tests."""
    from pipeline import Config, run

    return run(Config(inputs=(str(SEEDS),)))


@pytest.fixture(scope="session")
def tokenizer():
    from pipeline.tokenize import Tokenizer

    return Tokenizer()


@pytest.fixture(scope="session")
def livedoor_sample(shared_dir):
    """``sample(per_category)``: ``(file name, bytes)`` of the first ``per_category`` articles
    of each of the 9 Livedoor categories, read from the shared archive."""
    import tarfile

    def sample(per_category: int) -> list[tuple[str, bytes]]:
        taken: dict[str, int] = {}
        articles = []
        with tarfile.open(shared_dir / "corpora" / "livedoor-news-corpus.tar.gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if (not member.isfile() or len(parts) != 3 or not parts[2].endswith(".txt")
                        or parts[2].startswith("LICENSE")
                        or taken.get(parts[1], 0) >= per_category):
                    continue
                taken[parts[1]] = taken.get(parts[1], 0) + 1
                articles.append((parts[2], tar.extractfile(member).read()))
        return articles

    return sample
