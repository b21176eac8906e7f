"""User-facing errors: each message says what happened and how to fix it.

The CLI turns any :class:`FramingError` into a clean message and a non-zero exit.
"""

from __future__ import annotations


class FramingError(Exception):
    """Base class for errors caused by input or set-up rather than by a bug."""


class IngestError(FramingError):
    """A source file could not be read into units."""


class LabelFileError(FramingError):
    """A labels file is missing, damaged or inconsistent."""


class FileInUseError(LabelFileError):
    """A labels file is held by another labelling, review or import."""


class ModelError(FramingError):
    """A model is missing, modified, or incompatible with this installation."""


class FeatureError(FramingError):
    """A feature set is unknown, or the optional packages or model files it needs are missing."""


class NoTrainingDataError(FramingError):
    """There are no labelled units to train on."""


class UnknownUnitError(FramingError):
    """A unit id is not among the units being labelled or reviewed."""


class UnknownLabelError(FramingError, ValueError):
    """A label is not one of the codebook's labels."""


class NothingToUndoError(FramingError):
    """An undo was asked for with no decision left to undo."""


class ScaleError(FramingError):
    """Dask is missing, the cluster is unreachable, or the partitioned input or output is unusable."""


class ConflictError(FramingError):
    """A decision was made on a page that no longer shows the current state (e.g. a stale tab)."""


class InvalidDecisionError(FramingError, ValueError):
    """A decision's note or time on task is not acceptable."""


class InterchangeError(FramingError):
    """An import or export file cannot be read, or holds rows that cannot be imported."""


def no_model_message(path: str) -> str:
    """The message shown when no trained model exists at ``path``."""
    return f"No trained model at {path}. Run `make train` first (or set FRAMING_MODEL)."
