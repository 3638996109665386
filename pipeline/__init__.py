"""jtopics: Japanese news topic extraction.

>>> from pipeline import Config, run
>>> result = run(Config(inputs=("seeds",), n_topics=5))  # doctest: +SKIP
>>> result.section_themes.head()  # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .api import Result, run
from .config import Config
from .errors import JTopicsError

__all__ = ["Config", "JTopicsError", "Result", "__version__", "run"]
