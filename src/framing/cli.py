"""The ``framing`` command line: thin commands over the library's functions."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from framing.app.stream import STRATEGIES
from framing.codebook import LABELS
from framing.errors import FramingError
from framing.labels.interchange import FORMATS
from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.pipeline import DEFAULT_FEATURES, FEATURE_SETS
from framing.profile.bootstrap import DEFAULT_RESAMPLES
from framing.profile.build import DEFAULT_METHOD
from framing.profile.groups import PERIODS
from framing.profile.shares import METHODS
from framing.scale.partitions import FILES_PER_PART, ROWS_PER_PART

app = typer.Typer(
    help="Measure how responsibility is framed: individual-blame, systemic-failure, resource or none.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True)

SpacyOption = Annotated[
    str,
    typer.Option(
        help="spaCy pipeline: 'blank:en' (rules + lookups) or an installed one, e.g. en_core_web_sm."
    ),
]
LabelsDirOption = Annotated[Path, typer.Option(help="Folder of annotator files and gold.jsonl.")]
UnitsOption = Annotated[Path, typer.Option(help="Units file written by `framing ingest`.")]
SeedOption = Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed for folds and models.")]


def _jobs(value: int) -> int:
    if value == 0:
        raise typer.BadParameter("0 jobs cannot run anything; use 1 or more, or -1 for every core.")
    return value


def fail(message: object) -> NoReturn:
    """Show ``message`` as an error and exit 1."""
    console.print(f"[bold red]error:[/] {escape(str(message))}")
    raise typer.Exit(1)


ExtraLabelsOption = Annotated[
    list[Path],
    typer.Option(
        "--extra-labels",
        help="Further labels folder used for training only (repeatable), e.g. data/written: text written "
        "for training. It joins every training fold and is never scored.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Run on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786); "
        "-o is then a folder of part files. Needs `pip install 'framing\\[scale]'`."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Run on a local Dask cluster of this many worker processes (127.0.0.1); "
        "-o is then a folder of part files. Needs `pip install 'framing\\[scale]'`.",
    ),
]


Features = StrEnum("Features", {name.replace("+", "_"): name for name in FEATURE_SETS})
"""Feature sets (:data:`framing.model.pipeline.FEATURE_SETS`)."""
DEFAULT_FEATURE_SET = Features(DEFAULT_FEATURES)


def run(function, *args, **kwargs):
    """Call ``function``; show a :class:`FramingError` as a message and exit 1."""
    try:
        return function(*args, **kwargs)
    except FramingError as exc:
        fail(exc)


@app.command()
def ingest(
    sources: Annotated[
        list[Path], typer.Argument(help="Folders or files (.txt .md .html .jsonl .csv .parquet).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Units file to write (JSON Lines).")] = Path(
        "data/units.jsonl"
    ),
    text_column: Annotated[str, typer.Option(help="Text column of JSONL/CSV/Parquet tables.")] = "text",
    id_column: Annotated[
        str, typer.Option(help="Id column of tables, used in document ids when present.")
    ] = "id",
    comments: Annotated[
        bool, typer.Option("--comments", help="Treat each table row as one reader comment, kept whole.")
    ] = False,
    spacy_model: SpacyOption = DEFAULT_PIPELINE,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    partition_files: Annotated[
        int, typer.Option(min=1, help="With --scheduler or --workers: files per partition.")
    ] = FILES_PER_PART,
) -> None:
    """Read documents, drop boilerplate, and write sentence and comment units."""
    from framing.corpus.ingest import IngestReport, find_sources
    from framing.corpus.ingest import ingest as ingest_paths
    from framing.files import check_output

    if scheduler or workers:
        from framing.scale.steps import ingest_partitioned

        report = _on_cluster(
            "ingesting",
            scheduler,
            workers,
            ingest_partitioned,
            paths=sources,
            output=output,
            text_column=text_column,
            id_column=id_column,
            comments=comments,
            spacy_model=spacy_model,
            files_per_part=partition_files,
        )
        _ingest_summary(report, output)
        return
    run(check_output, output, sources)
    files = run(find_sources, sources, IngestReport())
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def advance(path: Path) -> None:
            progress.update(task, advance=1, description=f"ingesting {path.name}")

        report = run(
            ingest_paths, sources, output, text_column, id_column, comments, spacy_model, on_file=advance
        )
    _ingest_summary(report, output)


def _ingest_summary(report, output: Path) -> None:
    """Print an ingest run's errors and counts; exit 1 if a file could not be read."""
    for warning in report.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}")
    for error in report.errors:
        console.print(f"[bold red]error:[/] {escape(error)}")
    console.print(f"{report.units} units from {report.files} file(s) written to {output}")
    if report.errors:
        console.print(
            f"{len(report.errors)} file(s) or folder(s) could not be read; their units are missing."
        )
        raise typer.Exit(1)


@app.command()
def train(
    labels_dir: LabelsDirOption = Path("data/labels"),
    units: UnitsOption = Path("data/units.jsonl"),
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write.")] = Path(
        "models/framing.joblib"
    ),
    seed: SeedOption = 13,
    spacy_model: SpacyOption = DEFAULT_PIPELINE,
    jobs: Annotated[
        int, typer.Option(callback=_jobs, help="Parallel fits during model selection (-1: every core).")
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the scores table.")] = False,
    extra_labels: ExtraLabelsOption = [],  # noqa: B006 - typer reads the default, never mutates it
    features: Annotated[
        Features,
        typer.Option(
            help="Feature set: lemma n-grams, static (model2vec) or MiniLM sentence embeddings, or "
            "n-grams joined with one of them. The static vectors ship in models/static-minilm; MiniLM "
            "needs the optional extra 'embeddings' (see README)."
        ),
    ] = DEFAULT_FEATURE_SET,
) -> None:
    """Choose hyper-parameters by CV grouped by source, fit on all labels, and save the model."""
    from framing.model.train import train as train_model

    with console.status("training (grouped cross-validation over the parameter grid)"):
        metadata = run(
            train_model, labels_dir, output, units, seed, spacy_model, jobs, extra_labels, features.value
        )
    for problem in metadata["label_problems"]:
        console.print(f"[bold yellow]warning:[/] skipped {problem}")
    console.print(f"model written to {output} ({metadata['model_id']})")
    if not quiet:
        print_model_summary(metadata)


def print_model_summary(metadata: dict) -> None:
    """Print training data counts and cross-validated scores of a model."""
    cv = metadata["cv"]
    score = f"{cv['macro_f1_mean']:.3f} ± {cv['macro_f1_std']:.3f}"
    table = Table(title=f"{metadata['model_id']}: grouped CV, mean of per-fold macro-F1 {score}")
    table.add_column("label")
    table.add_column("training units", justify="right")
    for label in LABELS:
        table.add_row(label, str(metadata["units_per_label"][label]))
    Console().print(table)
    console.print(
        f"trained on {metadata['training_units']} units from {metadata['training_documents']} documents: "
        f"{metadata['training_source']}\nfeatures: {metadata.get('features', DEFAULT_FEATURES)}\n"
        f"{cv['protocol']}; best {cv['best_params']}\n{cv['note']}",
    )


@app.command()
def distill(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the static model to.")
    ] = Path("models/static-minilm"),
    source: Annotated[
        str, typer.Option(help="Sentence-transformers model: all-MiniLM-L6-v2 (shipped) or a local folder.")
    ] = "all-MiniLM-L6-v2",
    dimensions: Annotated[int, typer.Option(min=2, help="Dimensions kept by PCA.")] = 256,
) -> None:
    """Re-make the static (model2vec) embedding model of the default features (extra 'embeddings').

    The project ships one in models/static-minilm; distilling replaces it, and models trained
    with the old vectors must be retrained to use the new ones.
    """
    from framing.model.embeddings import distill_static

    with console.status(f"distilling a static model from {source} (about a minute)"):
        folder = run(distill_static, output, source, dimensions)
    console.print(f"static embedding model written to {folder}")


@app.command()
def info(
    model: Annotated[
        Path | None, typer.Argument(help="Model file (default: $FRAMING_MODEL or models/).")
    ] = None,
) -> None:
    """Show a trained model's metadata and cross-validated scores (read from its sidecar, never loaded)."""
    from framing.model.persist import verify_model_file
    from framing.model.predict import default_model_path

    metadata, problem = run(verify_model_file, model or default_model_path())
    print_model_summary(metadata)
    if problem:
        console.print(f"[bold yellow]warning:[/] {escape(problem)}")


@app.command()
def trust(
    model: Annotated[
        Path, typer.Argument(help="Model file made elsewhere, to sign with this machine's key.")
    ],
) -> None:
    """Accept a model trained elsewhere: show its metadata and sha256, then sign it with this machine's key.

    Loading a model runs code from its file (it is a pickle): trust only files
    you made, or got from someone you trust.
    """
    from framing.model.persist import key_path, trust_model_file, verify_model_file

    metadata, problem = run(verify_model_file, model)
    print_model_summary(metadata)
    libraries = ", ".join(f"{name} {found}" for name, found in metadata["libraries"].items())
    console.print(f"saved with: {libraries}\nsha256: {metadata['sha256']}")
    if problem is None:
        console.print(f"{model} is already signed with this machine's key ({key_path()}).")
        return
    run(trust_model_file, model, metadata["sha256"])
    console.print(
        f"{model} signed with {key_path()}; it will now load. Loading runs code from the file: "
        "trust only files you made, or got from someone you trust."
    )


def read_input_records(
    source: Path | None, text_column: str, keep: list[str] | None = None
) -> Iterator[tuple[str, dict]]:
    """``(text, kept fields)`` from a file or standard input: one text per line, or a table's text column.

    See :func:`framing.corpus.tables.input_records`; standard input has no kept fields.
    """
    from framing.corpus.tables import input_records
    from framing.files import decode_lines

    if source is None or str(source) == "-":
        yield from ((line.rstrip("\r\n"), {}) for _, line in decode_lines(sys.stdin.buffer, "<stdin>"))
    elif not source.is_file():
        raise FramingError(f"{source}: no such file.")
    else:
        yield from input_records(source, text_column, keep=keep or ())


def _keep(values: list[str]) -> list[str]:
    from framing.model.predict import OUTPUT_FIELDS

    clashing = [value for value in values if value in OUTPUT_FIELDS]
    if clashing:
        raise typer.BadParameter(f"{', '.join(clashing)}: every output line has it already.")
    return values


KeepOption = Annotated[
    list[str],
    typer.Option(
        "--keep",
        callback=_keep,
        help="Also copy this column of each input row to its output line (repeatable). id, unit_id, "
        "doc_id, kind and meta are copied whenever the input has them.",
    ),
]


ActorPatternsOption = Annotated[
    Path | None,
    typer.Option(
        help="Actor patterns (spaCy EntityRuler JSON Lines) to add to the shipped ones; implies --actors."
    ),
]
ReplaceActorPatternsOption = Annotated[
    bool,
    typer.Option(
        "--replace-actor-patterns", help="Use --actor-patterns instead of the shipped actor patterns."
    ),
]


@app.command()
def predict(
    source: Annotated[
        Path | None, typer.Argument(help="Text file (one text per line), .jsonl or .csv; '-' or none: stdin.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSON Lines output (default: stdout).")
    ] = None,
    text_column: Annotated[str, typer.Option(help="Text field of JSONL/CSV input.")] = "text",
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: $FRAMING_MODEL or models/).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per batch; memory stays flat.")] = 4096,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    partition_rows: Annotated[
        int,
        typer.Option(min=1, help="With --scheduler or --workers: rows (lines) per partition of each file."),
    ] = ROWS_PER_PART,
    actors: Annotated[
        bool,
        typer.Option(
            "--actors", help="Also list the actors each text mentions, with their roles (docs/actors.md)."
        ),
    ] = False,
    actor_patterns: ActorPatternsOption = None,
    replace_actor_patterns: ReplaceActorPatternsOption = False,
    keep: KeepOption = [],  # noqa: B006 - typer reads the default, never mutates it
) -> None:
    """Label texts; write one JSON line per text with its label and probabilities (and actors).

    Each line also carries the input row's id, unit_id, doc_id, kind and meta when it has them (and any
    --keep column), so `framing profile` can read the predictions without predicting again.
    """
    from framing.files import atomic_write, check_output
    from framing.model.predict import load_model, prediction_lines

    finder = _actor_finder(actors, actor_patterns, replace_actor_patterns)
    if scheduler or workers:
        return _predict_on_cluster(
            source, output, text_column, model, batch_size, scheduler, workers, partition_rows, keep, finder
        )
    reading_stdin = source is None or str(source) == "-"
    if output is not None:
        run(check_output, output, [] if reading_stdin else [source])
    if not reading_stdin and not source.is_file():
        fail(f"{source}: no such file.")
    loaded = run(load_model, model)
    records = read_input_records(source, text_column, keep)
    count = 0
    try:  # the output is written to a temporary file, renamed into place only when all went well
        with (
            atomic_write(output) if output else nullcontext(sys.stdout) as out,
            Progress(console=console, transient=True, disable=output is None) as progress,
        ):
            task = progress.add_task("predicting", total=None)
            for line in prediction_lines(records, loaded, batch_size, finder):
                out.write(line)
                count += 1
                progress.update(task, completed=count)
    except FramingError as exc:
        fail(f"{exc}{f' ({output} was left unchanged.)' if output else ''}")
    if output:
        console.print(f"{count} predictions written to {output}")


def _actor_finder(actors: bool, patterns: Path | None, replace: bool):
    """``find_actors`` with the chosen patterns (checked now), or None without actors (or patterns)."""
    if replace and patterns is None:
        fail("--replace-actor-patterns needs --actor-patterns FILE.")
    if not actors and patterns is None:
        return None
    from framing.model.actors import actor_rules, find_actors

    run(actor_rules, patterns, replace)
    return partial(find_actors, patterns=patterns, replace=replace)


def _predict_on_cluster(
    source, output, text_column, model, batch_size, scheduler, workers, rows, keep, actors
) -> None:
    """``framing predict`` on Dask: ``source`` is a file or folder, ``output`` a folder of part files."""
    from framing.model.predict import load_model
    from framing.scale.steps import predict_partitioned

    if source is None or str(source) == "-" or output is None:
        console.print(
            "[bold red]error:[/] with --scheduler or --workers, give an input file or folder and -o FOLDER."
        )
        raise typer.Exit(1)
    loaded = run(load_model, model)
    count = _on_cluster(
        "predicting",
        scheduler,
        workers,
        predict_partitioned,
        source=source,
        output=output,
        model=loaded,
        text_column=text_column,
        batch_size=batch_size,
        rows_per_part=rows,
        keep=keep,
        actors=actors,
    )
    console.print(f"{count} predictions written to {output}/part-*.jsonl")


def _on_cluster(what: str, scheduler: str | None, workers: int | None, step, quiet: bool = False, **options):
    """Run a :mod:`framing.scale.steps` function on a Dask cluster, with a progress bar (unless ``quiet``)."""
    from rich.progress import MofNCompleteColumn

    from framing.scale.runner import connect

    def on_cluster():
        columns = (*Progress.get_default_columns(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
            task = progress.add_task("starting Dask", total=None)
            with connect(scheduler, workers) as client:
                progress.update(task, description=what)
                return step(
                    client,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    **options,
                )

    return run(on_cluster)


Period = StrEnum("Period", {name: name for name in PERIODS})
"""Periods of shares over time (:data:`framing.profile.groups.PERIODS`)."""
Method = StrEnum("Method", {name: name for name in METHODS})
"""Share estimators (:data:`framing.profile.shares.METHODS`)."""
DEFAULT_PERIOD = Period("month")


@app.command()
def profile(
    source: Annotated[
        Path,
        typer.Argument(
            help="Units (.jsonl/.csv/.parquet from `framing ingest`, or any table with a text column), "
            "`framing predict` output (its probabilities are used: nothing is predicted), or a folder."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for profile.json, profile.csv, actors.csv and profile.html."
        ),
    ] = Path("profile"),
    by: Annotated[
        list[str],
        typer.Option(
            "--by",
            help="Group by this column, read from the row or else its meta (repeatable), e.g. source, "
            "doc_id, kind, outlet. None: the whole corpus.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    date: Annotated[
        str | None, typer.Option(help="Date column (row or meta) for shares over time, e.g. timestamp.")
    ] = None,
    period: Annotated[
        Period, typer.Option(help="With --date: the period shares are given for.")
    ] = DEFAULT_PERIOD,
    method: Annotated[
        Method | None,
        typer.Option(
            help="Share method to lead with (every method is in profile.json and profile.csv): cc counts "
            "predicted labels; pcc averages probabilities; acc and pacc correct them for the classifier's "
            "errors measured on labelled units. Default: the method the evaluation found best, else "
            f"{DEFAULT_METHOD} (best in this project's own evaluation)."
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=10, help="Bootstrap replicates behind each 95% interval.")
    ] = DEFAULT_RESAMPLES,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Seed of the bootstrap.")] = 0,
    text_column: Annotated[str, typer.Option(help="Text column of units to predict.")] = "text",
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: $FRAMING_MODEL or models/).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Units per batch; memory stays flat.")] = 4096,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786); the result is the "
            "same as in one process. Needs `pip install 'framing\\[scale]'`."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Run on a local Dask cluster of this many worker processes (127.0.0.1); the result is the "
            "same as in one process. Needs `pip install 'framing\\[scale]'`.",
        ),
    ] = None,
    partition_rows: Annotated[
        int, typer.Option(min=1, help="With --scheduler or --workers: rows per partition of each file.")
    ] = ROWS_PER_PART,
    evaluation: Annotated[
        Path | None,
        typer.Option(
            help="metrics.json of `framing evaluate` for this model: its share errors on held-out sources "
            "widen the intervals, and its best method is the default. Default: reports/<model id>/"
            "metrics.json when it exists."
        ),
    ] = None,
    actors: Annotated[
        bool,
        typer.Option(
            "--actors/--no-actors",
            help="Count the actor roles each unit mentions, by frame ('Who is blamed', actors.csv; "
            "docs/actors.md): rules on the text, about 7 s per 100,000 units; rows of `framing predict "
            "--actors` output keep their actors (about 1.5 s). --no-actors skips them.",
        ),
    ] = True,
    actor_patterns: ActorPatternsOption = None,
    replace_actor_patterns: ReplaceActorPatternsOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Frame shares per group (and over time), corrected for classifier error, with 95% intervals.

    With actors (the default), also which actor roles co-occur with each frame.
    """
    from framing.corpus.tables import TABLE_SUFFIXES
    from framing.files import check_output
    from framing.profile.bootstrap import read_held_out_errors
    from framing.profile.build import profile_files
    from framing.profile.write import FILES, write_profile
    from framing.scale.partitions import prediction_inputs

    for name in FILES:  # an unwritable or clashing output fails now, not after the work
        run(check_output, output / name, [source])
    files = [path for path in run(prediction_inputs, source) if path.suffix.lower() in TABLE_SUFFIXES]
    if not files:
        fail(f"{source}: no table files ({', '.join(TABLE_SUFFIXES)}) to profile.")
    if not actors and (actor_patterns or replace_actor_patterns):
        fail("--no-actors leaves actors out: drop --actor-patterns and --replace-actor-patterns.")
    finder = _actor_finder(actors, actor_patterns, replace_actor_patterns)
    loaded, metadata = _model_for(files[0], model, text_column)
    found_evaluation = Path("reports") / str(metadata.get("model_id")) / "metrics.json"
    if evaluation is None and found_evaluation.is_file():
        evaluation = found_evaluation
    options = {
        "by": by,
        "date": date,
        "period": period.value,
        "method": method.value if method is not None else None,
        "evaluation": run(read_held_out_errors, evaluation) if evaluation is not None else None,
        "resamples": resamples,
        "seed": seed,
        "text_column": text_column,
        "batch_size": batch_size,
        "actors": finder,
    }

    def build(client=None, progress=None):
        return profile_files(
            files,
            loaded,
            metadata=metadata,
            model_path=model,
            client=client,
            rows_per_part=partition_rows,
            progress=progress,
            **options,
        )

    if scheduler or workers:
        result = _on_cluster("profiling", scheduler, workers, build, quiet=quiet)
    else:
        with Progress(console=console, transient=True, disable=quiet) as bar:
            task = bar.add_task("profiling", total=None)
            result = run(build, progress=lambda done, total: bar.update(task, completed=done, total=total))
    paths = run(write_profile, result, output)
    if quiet:
        return
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}")
    whole = result.groups[0]
    shares = ", ".join(f"{label} {whole.shares[result.method][label].share:.2f}" for label in LABELS)
    console.print(
        f"{result.units} units, {result.documents} documents, {len(result.groups)} groups; all units "
        f"({result.method}): {shares}. Written: {', '.join(str(p) for p in paths.values())}"
    )


def _model_for(first: Path, model: Path | None, text_column: str):
    """The loaded model, or ``None`` when the input is `framing predict` output; and the model's metadata.

    A predictions file needs only the model's metadata (its out-of-fold reference), never unpickling.
    """
    from framing.corpus.tables import read_rows
    from framing.model.persist import read_metadata
    from framing.model.predict import default_model_path, load_model

    first_row = next((row for _, row in run(read_rows, first)), None)
    if first_row is not None and first_row.get("probabilities") is not None:
        path = model or default_model_path()
        metadata = run(read_metadata, path)
        return None, metadata
    loaded = run(load_model, model)
    return loaded, loaded.metadata


@app.command()
def evaluate(
    labels_dir: LabelsDirOption = Path("data/labels"),
    units: UnitsOption = Path("data/units.jsonl"),
    output_dir: Annotated[
        Path, typer.Option(help="Folder for the reports; they go to <output-dir>/<model id>/.")
    ] = Path("reports"),
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: $FRAMING_MODEL or models/).")
    ] = None,
    test: Annotated[
        Path | None,
        typer.Option(help="External labelled set (.jsonl or .csv with text and label) scored by the model."),
    ] = None,
    seed: SeedOption = 13,
    jobs: Annotated[
        int, typer.Option(callback=_jobs, help="Parallel outer folds and learning-curve fits (-1: all).")
    ] = 1,
    resamples: Annotated[
        int, typer.Option(min=1, help="Bootstrap resamples of documents per interval.")
    ] = 2000,
    extra_labels: ExtraLabelsOption = [],  # noqa: B006 - typer reads the default, never mutates it
) -> None:
    """Evaluate the model on real units (nested CV by source, optional external test) against baselines."""
    from rich import box

    from framing.experiment.evaluate import evaluate as evaluate_model
    from framing.experiment.metrics import SYSTEMS
    from framing.files import check_output
    from framing.report.content import headline_table
    from framing.report.text import estimate_text, verdict
    from framing.report.write import write_reports

    run(check_output, output_dir / "metrics.json")  # a folder that cannot be written fails now, not later
    with console.status("evaluating (nested grouped cross-validation, baselines, learning curve)"):
        metrics = run(
            evaluate_model,
            labels_dir,
            units,
            seed,
            jobs,
            model_path=model,
            test_path=test,
            n_resamples=resamples,
            extra_dirs=extra_labels,
        )
    files = run(write_reports, metrics, output_dir / metrics["model_id"])
    for warning in metrics["warnings"]:
        console.print(f"[bold yellow]warning:[/] {warning}")
    for protocol in metrics["protocols"].values():
        headline = headline_table(protocol, compact=True)
        title = f"{protocol['name']}: {protocol['units']} units, {protocol['documents']} documents"
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        for i, column in enumerate(headline.header):
            numeric = i in headline.numeric
            table.add_column(column, justify="right" if numeric else "left", no_wrap=numeric)
        for row in headline.rows:
            table.add_row(*row)
        Console().print(table)
        for baseline in ("seed_only", "lexicon"):
            if baseline in protocol["model_minus"]:
                difference = protocol["model_minus"][baseline]["macro_f1"]
                name = SYSTEMS[baseline]
                console.print(
                    f"macro-F1, model − {name}: {estimate_text(difference, '+', compact=True)}: "
                    f"{verdict(difference, name)}."
                )
        if "share_error" in protocol:
            shares = protocol["share_error"]
            best = shares["summary"][shares["best_method"]]
            console.print(
                f"frame shares: trust {shares['best_method']} ({best['name']}), total variation from the "
                f"true shares {best['mean_total_variation']:.3f} on average over {shares['parts']} held-out "
                f"part(s), at most {best['max_total_variation']:.3f}."
            )
    console.print(f"95% bootstrap intervals in brackets, resampling documents. Report: {files['html']}")


@app.command()
def compare(
    first: Annotated[Path, typer.Argument(help="Report folder (or metrics.json) of the first evaluation.")],
    second: Annotated[Path, typer.Argument(help="Report folder (or metrics.json) of the second evaluation.")],
    protocol: Annotated[
        str, typer.Option(help="Which predictions to compare: cv (nested CV) or test (the --test set).")
    ] = "cv",
    resamples: Annotated[int, typer.Option(min=1, help="Bootstrap resamples of documents.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed of the bootstrap.")] = 13,
    output: Annotated[Path | None, typer.Option(help="Also write the comparison to this JSON file.")] = None,
) -> None:
    """Compare two evaluations of the same units: both models' scores and first minus second, paired.

    Both evaluations must have scored the same labelled units (for example
    `framing evaluate` of two feature sets). The differences are scored on the
    same document resamples, so their 95% interval says whether the data tell
    the two models apart.
    """
    from rich import box

    from framing.experiment.compare import compare as compare_evaluations
    from framing.experiment.compare import read_metrics
    from framing.files import atomic_write, check_output
    from framing.report.text import estimate_text

    if output is not None:
        run(check_output, output)
    evaluations = run(read_metrics, first), run(read_metrics, second)
    result = run(compare_evaluations, *evaluations, protocol, resamples, seed)
    names = [f"{system['model_id']} ({system['features'] or 'ngrams'})" for system in result["systems"]]
    table = Table(
        title=f"{result['protocol']}: {result['units']} units, {result['documents']} documents",
        caption="Below the line: each label's F1.",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("score")
    for column in ("first", "second", "first − second"):
        table.add_column(column, justify="right", no_wrap=True)
    for name in ("macro_f1", "accuracy", "kappa"):
        table.add_row(
            name.replace("macro_f1", "macro-F1"),
            *(estimate_text(scores["scores"][name], compact=True) for scores in result["scores"]),
            estimate_text(result["first_minus_second"][name], "+", compact=True),
        )
    table.add_section()
    for label in LABELS:
        table.add_row(
            label,
            *(estimate_text(scores["per_label"][label]["f1"], compact=True) for scores in result["scores"]),
            estimate_text(result["first_minus_second_f1_per_label"][label], "+", compact=True),
        )
    # The comparison is the output (standard output); piped, it keeps full label names.
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 100)
    out.print(f"first: {names[0]}\nsecond: {names[1]}", highlight=False)
    out.print(table)
    difference = result["first_minus_second"]["macro_f1"]
    if difference["low"] is not None and difference["low"] > 0:
        finding = "the first model is better"
    elif difference["high"] is not None and difference["high"] < 0:
        finding = "the second model is better"
    else:
        finding = "the data cannot tell the two models apart (the interval includes 0)"
    out.print(f"macro-F1, first − second: {finding}.")
    for note in result["notes"]:
        out.print(f"[bold yellow]note:[/] {note}")
    out.print(
        f"95% bootstrap intervals in brackets, {resamples} resamples of documents, the same resamples for "
        "both models (paired)."
    )
    if output is not None:
        with atomic_write(output) as stream:
            stream.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


@app.command()
def agreement(
    files: Annotated[
        list[Path], typer.Argument(help="Labels files, one or more per annotator, or folders of them.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    limit: Annotated[
        int, typer.Option(min=-1, help="How many disagreements to list (0: none, -1: all).")
    ] = -1,
) -> None:
    """Cohen's kappa per pair and Krippendorff's alpha, with 95% intervals; confusion; annotators' pace."""
    from framing.labels.agreement import agreement_of_files, label_files
    from framing.labels.store import read_many
    from framing.labels.summary import summarise

    result = run(agreement_of_files, files)
    pace = summarise(run(read_many, label_files(files)).records)
    for problem in result.problems:
        console.print(f"[yellow]warning:[/] skipped damaged line {problem}")
    if as_json:
        figures = result.to_dict() | {"annotator_summary": [row.to_dict() for row in pace]}
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    out = Console()
    out.print(
        f"annotators: {', '.join(result.annotators)}; units labelled by two or more: {result.units} "
        f"(by all: {result.units_by_all})"
    )
    out.print(f"raw agreement (all labels of a unit the same): {result.raw_agreement:.3f}")
    for pair, kappa in result.cohen_kappa.items():
        n = result.pair_units[pair]
        if kappa is None:
            out.print(f"Cohen's kappa ({pair}): none, no unit in common")
        else:
            out.print(
                f"Cohen's kappa ({pair}): {kappa:.3f} {_interval_text(result.kappa_interval[pair])}, n={n}"
            )
    out.print(
        f"Krippendorff's alpha (nominal): {result.krippendorff_alpha:.3f} "
        f"{_interval_text(result.alpha_interval)}, n={result.units} units ({result.alpha_values} labels)"
    )
    out.print("95% bootstrap intervals in brackets, resampling units.")
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}")
    for pair, matrix in result.confusion.items():
        first, second = pair.split(" vs ")
        table = Table(title=f"confusion: rows {first}, columns {second}")
        table.add_column("")
        for label in LABELS:
            table.add_column(label, justify="right")
        for label, row in zip(LABELS, matrix, strict=True):
            table.add_row(label, *(str(v) for v in row))
        out.print(table)
    table = Table(title="annotators (time on task as recorded by the labelling app)")
    for column in (
        "annotator",
        "labelled",
        "skipped",
        "hours on task",
        "median s per unit",
        "units per hour",
    ):
        table.add_column(column, justify="left" if column == "annotator" else "right")
    for row in pace:
        table.add_row(
            row.annotator,
            str(row.labelled),
            str(row.skipped),
            f"{row.hours:.2f}" if row.timed else "-",
            f"{row.median_seconds:.1f}" if row.median_seconds is not None else "-",
            f"{row.units_per_hour:.0f}" if row.units_per_hour is not None else "-",
        )
    out.print(table)
    shown = result.disagreements if limit < 0 else result.disagreements[:limit]
    if shown:
        out.print(f"disagreements ({len(result.disagreements)}):")
    for item in shown:
        labels = ", ".join(f"{name}: {label}" for name, label in item["labels"].items())
        out.print(f"- {item['unit_id']} [{labels}] {item['text'][:160]}", highlight=False, markup=False)


def _interval_text(interval: list[float] | None) -> str:
    """``[low, high]``, or ``[no interval]``."""
    return "[no interval]" if interval is None else f"[{interval[0]:.2f}, {interval[1]:.2f}]"


HostOption = Annotated[
    str, typer.Option(help="Address to listen on. Anything but 127.0.0.1/localhost requires a token.")
]
PortOption = Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")]
TokenOption = Annotated[
    str | None,
    typer.Option(help="Access token to require (default: none on 127.0.0.1, a random one elsewhere)."),
]


Strategy = StrEnum("Strategy", {name: name for name in STRATEGIES})
"""Which unit comes next (:data:`framing.app.stream.STRATEGIES`)."""

Format = StrEnum("Format", {name.replace("-", "_"): name for name in FORMATS})
"""Interchange formats (:data:`framing.labels.interchange.FORMATS`)."""


def _announce(what: str, url: str) -> None:
    console.print(f"{what}: open {url}  (Ctrl+C stops; every decision is saved as you make it)")


@app.command()
def label(
    annotator: Annotated[
        str | None,
        typer.Option(
            help="Label as this one annotator; labels go to <labels-dir>/<name>.jsonl (letters, digits, "
            ". _ -). Without it, each annotator picks or enters a name on the page."
        ),
    ] = None,
    source: Annotated[
        Path, typer.Option(help="Units file from `framing ingest`, or a folder of documents to ingest now.")
    ] = Path("data/units.jsonl"),
    labels_dir: LabelsDirOption = Path("data/labels"),
    overlap: Annotated[
        int,
        typer.Option(
            min=0,
            help="How many annotators label each unit: a unit is no longer offered once that many have "
            "labelled it (or have it on screen). 0: every annotator labels every unit.",
        ),
    ] = 0,
    strategy: Annotated[
        Strategy,
        typer.Option(
            help="random: a seeded random order. uncertainty: a model retrained in the background "
            "ranks units by uncertainty, mixed with random picks."
        ),
    ] = Strategy.random,
    seed: Annotated[int, typer.Option(help="Seed of the random order and of the random picks.")] = 13,
    retrain_every: Annotated[
        int, typer.Option(min=1, help="With --strategy uncertainty: retrain after this many new labels.")
    ] = 10,
    random_fraction: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="With --strategy uncertainty: share of random picks."),
    ] = 0.2,
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest",
            help="Show a trained model's label and confidence for each unit (off by default: "
            "suggestions anchor annotators, so keep double annotation blind).",
        ),
    ] = False,
    model: Annotated[
        Path | None, typer.Option(help="With --suggest: model file (default: $FRAMING_MODEL or models/).")
    ] = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    token: TokenOption = None,
) -> None:
    """Label units one at a time in a local web app: keys 1-4 label, S skips, U undoes, ? shows the rules."""
    from framing.app.session import load_source, model_suggester
    from framing.app.team import Team
    from framing.app.webapp import bind, serve

    units, errors = run(load_source, source)
    for error in errors:
        console.print(f"[yellow]warning:[/] {error}")
    suggester = run(model_suggester, model) if suggest else None
    sock = run(bind, host, port)
    try:
        team = run(
            Team,
            units,
            labels_dir,
            overlap,
            annotator,
            strategy.value,
            seed,
            random_fraction,
            retrain_every,
            suggester,
        )
        if annotator is None:
            what = f"{len(units)} units; each annotator picks or enters a name on the page"
        else:
            session = run(team.session, annotator)
            for problem in session.log.problems:
                console.print(f"[yellow]warning:[/] skipped damaged line {problem}")
            progress = session.state()["progress"]
            what = f"{session.annotator} has labelled {progress['done']} of {progress['total']} units"
    except BaseException:
        sock.close()
        raise
    run(serve, team, sock, token, announce=partial(_announce, what))


@app.command()
def review(
    labels_dir: LabelsDirOption = Path("data/labels"),
    units: Annotated[
        Path, typer.Option(help="Units file, for the neighbouring sentences (optional).")
    ] = Path("data/units.jsonl"),
    adjudicator: Annotated[str, typer.Option(help="Name recorded on each gold label.")] = "adjudicator",
    revisit: Annotated[
        bool, typer.Option("--all", help="Walk every disagreement, also those already in gold.jsonl.")
    ] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    token: TokenOption = None,
) -> None:
    """Adjudicate disagreements in the web app into gold.jsonl, which also gets every agreed unit."""
    from framing.app.review import ReviewSession
    from framing.app.webapp import bind, serve
    from framing.corpus.units import read_units

    context = run(read_units, units) if units.exists() else []
    session = run(ReviewSession, labels_dir, context, adjudicator, revisit)
    update = session.gold_update
    for problem in session.log.problems:
        console.print(f"[yellow]warning:[/] skipped damaged line {problem}")
    console.print(
        f"{session.log.path}: {session.gold_units} units with a gold label; agreed units carried over: "
        f"{update.added} new, {update.changed} changed, {update.withdrawn} withdrawn (now disputed)"
    )
    if not session.units or not session.pending:
        session.close()
        if not session.units:
            console.print(f"No disagreements between the annotators in {labels_dir}.")
        else:
            console.print(
                f"All {len(session.units)} disagreements already have a gold label; "
                "use --all to revisit them."
            )
        return
    try:
        sock = run(bind, host, port)
    except BaseException:
        session.close()
        raise
    what = f"{session.pending} of {len(session.units)} disagreements to adjudicate"
    run(serve, session, sock, token, announce=partial(_announce, what))


@app.command("export")
def export_command(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="File format to write.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
    ] = None,
    annotator: Annotated[
        str | None, typer.Option(help="Export this annotator's labels (default: units without labels).")
    ] = None,
    gold: Annotated[bool, typer.Option("--gold", help="Export the adjudicated gold labels.")] = False,
    labelled_only: Annotated[
        bool, typer.Option("--labelled-only", help="Only units that have a label.")
    ] = False,
    units: UnitsOption = Path("data/units.jsonl"),
    labels_dir: LabelsDirOption = Path("data/labels"),
) -> None:
    """Write units with their labels as CSV, Label Studio JSON, Prodigy JSONL or doccano JSONL."""
    from framing.corpus.units import read_units
    from framing.files import atomic_write, check_output
    from framing.labels.interchange import LABEL_STUDIO_CONFIG, export_labels
    from framing.labels.store import GOLD_FILE, annotator_file

    if gold and annotator:
        fail("use either --annotator or --gold, not both.")
    if output is not None:  # never over the units or into the labels folder, where it would be read as labels
        run(check_output, output, [units, labels_dir])
    labels_file = labels_dir / GOLD_FILE if gold else None
    if annotator:
        labels_file = run(annotator_file, labels_dir, annotator)
    text, count = run(export_labels, run(read_units, units), fmt.value, labels_file, labelled_only)
    if output is None:
        sys.stdout.write(text)
    else:
        with atomic_write(output) as stream:
            stream.write(text)
        console.print(f"{count} units written to {output}")
    if fmt is Format.label_studio:
        console.print(f"Label Studio labelling config for these tasks:\n{LABEL_STUDIO_CONFIG}", markup=False)


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="File to import (.csv, Label Studio .json, .jsonl).")],
    annotator: Annotated[
        str | None,
        typer.Option(
            help="Whose labels these are; appended to <labels-dir>/<name>.jsonl. Without it, each annotator "
            "the file names (Label Studio completed_by, Prodigy _annotator_id, a CSV annotator column) "
            "gets a file of their own."
        ),
    ] = None,
    fmt: Annotated[
        Format | None, typer.Option("--format", "-f", help="File format (default: from name and content).")
    ] = None,
    units: UnitsOption = Path("data/units.jsonl"),
    labels_dir: LabelsDirOption = Path("data/labels"),
) -> None:
    """Import labels; unknown unit ids or labels are reported by row, and then nothing is written."""
    from framing.corpus.units import read_units
    from framing.labels.interchange import import_labels

    fmt_name = fmt.value if fmt else None
    result = run(import_labels, source, run(read_units, units), labels_dir, annotator, fmt_name)
    for report in result.files:
        for problem in report.problems:
            console.print(f"[yellow]warning:[/] skipped damaged line {problem}")
        console.print(
            f"{report.imported} labels imported into {report.path} ({report.annotator}); "
            f"{report.unchanged} already there"
        )
    console.print(f"{result.unlabelled} rows without a label (unlabelled, rejected or ignored)")


if __name__ == "__main__":  # pragma: no cover
    app()
