"""framing: measure how responsibility is framed in public discourse.

>>> import framing
>>> framing.LABELS
('individual-blame', 'systemic-failure', 'resource', 'none')
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("framing")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from framing.codebook import CODEBOOK_VERSION, LABELS
from framing.model.actors import find_actors
from framing.model.predict import Prediction, load_model, predict

__all__ = ["CODEBOOK_VERSION", "LABELS", "Prediction", "__version__", "find_actors", "load_model", "predict"]
