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
from .model import Model, load_model

__all__ = ["Config", "JTopicsError", "Model", "Result", "__version__", "load_model", "run"]
