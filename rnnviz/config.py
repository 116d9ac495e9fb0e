"""Kept for compatibility: the configuration now lives in :mod:`rnnviz.core.config`.

``from rnnviz.config import ModelConfig`` keeps working for scripts and
notebooks written before the move; new code imports ``rnnviz.core.config``.
"""

from rnnviz.core.config import *  # noqa: F401,F403
from rnnviz.core.config import __all__  # noqa: F401
