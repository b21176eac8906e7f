"""Prediction: ``framing.predict()`` and the streaming batch predictor behind ``framing predict``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, repeat, tee
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from framing.codebook import LABELS, NONE_LABEL
from framing.errors import ModelError
from framing.model.persist import FramingModel, load_model_file

if TYPE_CHECKING:
    from framing.model.actors import Actor

MODEL_ENV = "FRAMING_MODEL"
MODEL_FILE = Path("models") / "framing.joblib"
BATCH_SIZE = 4096
R = TypeVar("R")


@dataclass(frozen=True)
class Prediction:
    """The predicted label of one text and the probability of each label (summing to 1)."""

    label: str
    probabilities: dict[str, float]

    def to_dict(self) -> dict[str, object]:
        """``{"label": ..., "probabilities": {...}}`` for JSON output."""
        return {"label": self.label, "probabilities": self.probabilities}


OUTPUT_FIELDS = ("text", "label", "probabilities")
"""What every output line of ``framing predict`` holds, after any fields kept from its input row."""


def prediction_line(
    text: str,
    prediction: Prediction,
    fields: Mapping[str, Any] | None = None,
    actors: list[Actor] | None = None,
) -> str:
    """One line of ``framing predict`` output (JSON Lines): kept ``fields``, text, label, probabilities.

    With ``actors`` (from :func:`framing.model.actors.find_actors`), also an
    ``"actors"`` list of ``{"text", "start", "end", "role"}``.
    """
    record: dict[str, Any] = {**(fields or {}), "text": text, **prediction.to_dict()}
    if actors is not None:
        record["actors"] = [actor.to_dict() for actor in actors]
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


EMPTY_PREDICTION = Prediction(NONE_LABEL, {label: float(label == NONE_LABEL) for label in LABELS})
"""What an empty or all-white-space text gets: ``none`` with probability 1."""


def default_model_path() -> Path:
    """``$FRAMING_MODEL``, else ``models/framing.joblib`` here or in the project checkout."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    here = Path.cwd() / MODEL_FILE
    project = Path(__file__).resolve().parents[2] / MODEL_FILE
    return here if here.exists() or not project.exists() else project


def load_model(path: str | Path | None = None) -> FramingModel:
    """Load (once per file version) and verify a trained model.

    ``path`` defaults to :func:`default_model_path`. Raises
    :class:`framing.errors.ModelError` with a fix when it is missing or invalid.
    """
    resolved = Path(path) if path is not None else default_model_path()
    try:
        found = resolved.stat()
        stamp = (found.st_ino, found.st_size, found.st_mtime_ns)
    except OSError:
        stamp = (0, 0, 0)
    return _cached_model(str(resolved.resolve()), stamp)


@lru_cache(maxsize=4)
def _cached_model(path: str, stamp: tuple[int, int, int]) -> FramingModel:
    return load_model_file(path)


def _check_texts(texts: Iterable[object]) -> Iterator[str]:
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"Text {index} is {type(text).__name__} ({text!r:.60}), not str.")
        yield text


def iter_predict(
    texts: Iterable[str], model: FramingModel | str | Path | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[Prediction]:
    """Predict lazily, ``batch_size`` texts at a time: memory does not grow with the input."""
    if not isinstance(model, FramingModel):
        model = load_model(model)
    classes = list(model.pipeline.classes_)
    missing = [label for label in LABELS if label not in classes]
    if missing:
        raise ModelError(f"{model.path}: the model cannot predict {missing}. Retrain with `make train`.")
    order = [classes.index(label) for label in LABELS]
    checked = _check_texts(texts)
    while batch := list(islice(checked, batch_size)):
        filled = [i for i, text in enumerate(batch) if text.strip()]
        predictions = [EMPTY_PREDICTION] * len(batch)
        if filled:
            probabilities = model.pipeline.predict_proba([batch[i] for i in filled])[:, order]
            best = probabilities.argmax(axis=1).tolist()
            for i, row, top in zip(filled, probabilities.tolist(), best, strict=True):
                predictions[i] = Prediction(LABELS[top], dict(zip(LABELS, row, strict=True)))
        yield from predictions


def with_predictions(
    records: Iterable[tuple[str, R]],
    model: FramingModel | str | Path | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[tuple[str, R, Prediction]]:
    """``(text, extra, prediction)`` for each ``(text, extra)`` record, streamed like :func:`iter_predict`."""
    for_model, for_output = tee(records)
    texts = (text for text, _ in for_model)
    for (text, extra), prediction in zip(for_output, iter_predict(texts, model, batch_size), strict=True):
        yield text, extra, prediction


ActorFinder = Callable[[Iterable[str]], Iterable[list["Actor"]]]
"""A function giving each text's actors, e.g. ``partial(find_actors, patterns=...)``."""


def prediction_lines(
    records: Iterable[tuple[str, Mapping[str, Any]]],
    model: FramingModel | str | Path | None = None,
    batch_size: int = BATCH_SIZE,
    actors: ActorFinder | None = None,
) -> Iterator[str]:
    """The lines ``framing predict`` writes for ``(text, kept fields)`` records, streamed.

    ``actors`` adds each text's actors.
    """
    found: Iterable[list[Actor] | None] = repeat(None)
    if actors is not None:  # a second reader only when needed: an unread tee would buffer everything
        records, for_actors = tee(records)
        found = actors(text for text, _ in for_actors)
    for (text, fields, prediction), mentions in zip(
        with_predictions(records, model, batch_size), found, strict=False
    ):
        yield prediction_line(text, prediction, fields, mentions)


@overload
def predict(texts: str, model: FramingModel | str | Path | None = None) -> Prediction: ...
@overload
def predict(texts: Iterable[str], model: FramingModel | str | Path | None = None) -> list[Prediction]: ...
def predict(
    texts: str | Iterable[str], model: FramingModel | str | Path | None = None
) -> Prediction | list[Prediction]:
    """Label texts as individual-blame, systemic-failure, resource or none.

    Parameters
    ----------
    texts : str or iterable of str
        One text, or many.
    model : FramingModel, path or None
        A loaded model, a model file, or ``None`` for the default model.

    Returns
    -------
    Prediction or list of Prediction
        One per text: ``.label`` and ``.probabilities`` (all four labels, summing to 1).
        Empty or white-space texts get ``none`` with probability 1.

    Raises
    ------
    TypeError
        When an item is not a string; the message names its position.

    """
    if isinstance(texts, str):
        return next(iter_predict([texts], model))
    if isinstance(texts, bytes):
        raise TypeError("Texts must be str, not bytes: decode them first.")
    return list(iter_predict(texts, model))
