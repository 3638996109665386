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
