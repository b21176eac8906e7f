"""The partition runner: a Dask cluster, and one function mapped over partitions in input order.

Every scaled step (prediction, ingest, and later ones) is a per-partition
function given to :func:`map_partitions`; the function writes its own part
file and returns a small summary. Large read-only objects such as the model
go in ``shared``: they are sent once to each worker and every task on that
worker uses the same copy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from framing.errors import ScaleError

if TYPE_CHECKING:
    from distributed import Client

P = TypeVar("P")
R = TypeVar("R")

EXTRA = "scale"
INSTALL_HINT = f"pip install 'framing[{EXTRA}]'"


def require_distributed() -> Any:
    """The ``distributed`` module, or a :class:`ScaleError` naming the extra that installs it."""
    try:
        import distributed
    except ImportError:
        raise ScaleError(
            f"--scheduler and --workers run on Dask, which is not installed. Install it with: {INSTALL_HINT}"
        ) from None
    return distributed


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client of the Dask scheduler at ``scheduler``, or of a local cluster on 127.0.0.1.

    The local cluster has ``workers`` worker processes (default: one per core)
    of one thread each, and is shut down on leaving the block.
    """
    distributed = require_distributed()
    import dask

    if scheduler:
        if workers:
            raise ScaleError("--workers sizes a local cluster; leave it out when giving --scheduler.")
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, ValueError, TimeoutError) as exc:
            raise ScaleError(f"Cannot reach the Dask scheduler at {scheduler} ({exc}).") from None
        with client:
            yield client
        return
    # The workers' statistical profiler feeds a dashboard nobody looks at here; it costs CPU.
    with (
        dask.config.set({"distributed.worker.profile.enabled": False}),
        distributed.LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # a free port: no clash with another run
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def map_partitions(
    client: Client,
    function: Callable[..., R],
    partitions: Sequence[P],
    shared: Mapping[str, Any] | None = None,
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``function(partition, **shared)`` for every partition on the cluster; the results in input order.

    Each object in ``shared`` is sent once to every worker (not once per task).
    ``on_result(index, result)`` is called as each partition finishes, in any
    order. The first partition that fails cancels the others and its error is
    raised here.
    """
    distributed = require_distributed()
    scattered = {
        name: client.scatter(value, broadcast=True, hash=False) for name, value in (shared or {}).items()
    }
    futures = [client.submit(function, partition, **scattered, pure=False) for partition in partitions]
    position = {future.key: index for index, future in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    try:
        for future in distributed.as_completed(futures):
            index = position[future.key]
            results[index] = future.result()
            if on_result is not None:
                on_result(index, results[index])
    finally:
        client.cancel([*futures, *scattered.values()])
    return results
