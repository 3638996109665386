"""jtopics: Japanese news topic extraction.

>>> from pipeline import Config, run
>>> result = run(Config(inputs=("seeds",), n_topics=5))  # doctest: +SKIP
>>> result.section_themes.head()  # doctest: +SKIP
"""

from __future__ import annotations

import gc as _gc

__version__ = "0.1.0"

# Importing pandas, SciPy and scikit-learn makes some 130,000 objects and no garbage: the
# collector's passes while they are made (about 0.25 s) find nothing to free.
_collecting = _gc.isenabled()
_gc.disable()
try:
    from .api import Result, run
    from .config import Config
    from .errors import JTopicsError
finally:
    if _collecting:
        _gc.enable()

__all__ = ["Config", "JTopicsError", "Result", "__version__", "run"]
