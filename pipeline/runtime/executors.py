"""Where per-capture work runs: this process, every local core, or a Dask cluster.

Tasks are pure functions of their inputs and write their own outputs (a file per capture, or a
Parquet part per run of captures), so the output does not depend on the executor, the number of
workers or the order tasks finish in (tested).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from pipeline.runtime.tasks import Done, Part, Task, run

Work = Task | Part
Runner = Callable[[list[Work]], Iterator[Done]]
SMALL = 8  # fewer tasks than this run in-process: starting workers would cost more than it saves
PART_SIZE = 256  # captures per part on a cluster: a few MB of Parquet each, tens of parts per 10,000 captures


@dataclass(frozen=True)
class Executor:
    kind: str = "local"  # "local" | "dask"
    jobs: int = 0  # worker processes (local) or workers of a local Dask cluster; 0: every core
    scheduler: str | None = None  # dask: address of a running scheduler; None starts a local cluster
    part_size: int | None = None  # captures per Parquet part; 0: a file per capture; None: PART_SIZE on dask, else 0

    @property
    def parts(self) -> int:
        if self.part_size is not None:
            return self.part_size
        return PART_SIZE if self.kind == "dask" else 0

    @property
    def workers(self) -> int:
        return (
            self.jobs
            if self.jobs > 0
            else (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
        )


@contextmanager
def session(executor: Executor) -> Iterator[Runner]:
    """Workers are started once and kept for every stage of a run."""
    if executor.kind == "dask":
        with _dask(executor) as runner:
            yield runner
    elif executor.workers == 1:
        yield _serial
    else:
        with _local(executor.workers) as runner:
            yield runner


def _serial(tasks: list[Work]) -> Iterator[Done]:
    return map(run, tasks)


@contextmanager
def _local(workers: int) -> Iterator[Runner]:
    # forkserver: workers fork from a clean process that has imported the pipeline once, never from
    # this one (which may hold threads, such as a progress bar's)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.runtime.tasks", "pipeline.extract.read", "pipeline.extract.warc"])
    pool: ProcessPoolExecutor | None = None

    def runner(tasks: list[Work]) -> Iterator[Done]:
        nonlocal pool
        if len(tasks) < SMALL:
            return _serial(tasks)
        if pool is None:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        return pool.map(run, tasks, chunksize=max(1, min(64, len(tasks) // (workers * 8))))

    try:
        yield runner
    finally:
        if pool is not None:
            pool.shutdown()


@contextmanager
def _dask(executor: Executor) -> Iterator[Runner]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if executor.scheduler:
        client = Client(executor.scheduler)
    else:
        cluster = LocalCluster(n_workers=executor.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)

    def runner(tasks: list[Work]) -> Iterator[Done]:
        for future in as_completed(client.map(run, tasks, pure=False)):
            yield future.result()

    try:
        yield runner
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
