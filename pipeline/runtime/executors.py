"""Where per-capture work runs: this process, every local core, or a Dask cluster.

Tasks are pure functions of their inputs and write their own outputs (a file per capture, or a
Parquet part per run of captures), so the output does not depend on the executor, the number of
workers or the order tasks finish in (tested). A worker that dies (killed, out of memory) costs only
the capture it was working on, which is quarantined; workers die with the run that started them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pipeline.runtime.context import Spread, in_process
from pipeline.runtime.tasks import Chain, Done, Part, PartChain, Task, quarantine, rest, run, run_batch

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

Work = Task | Part | Chain | PartChain
SMALL = 8  # fewer tasks than this run in-process: starting workers would cost more than it saves
PART_SIZE = 256  # captures per part on a cluster: a few MB of Parquet each, tens of parts per 10,000 captures
IN_FLIGHT = 2  # batches queued per worker: one running, one waiting, so no worker waits on this process
BATCH = 64  # works per batch at most: each batch is one message each way, so this process only schedules
TAIL = 8  # batches per worker the remaining work is cut into: batches shrink towards the end, no worker idles long
DIED = "the worker process died while reading it (out of memory, or killed?): check the capture, then run again"
SPREAD_DIED = "a worker died running a whole-set stage's pieces (out of memory, or killed?): run again"
PR_SET_PDEATHSIG = 1
MAX_RESTARTS = 2 * IN_FLIGHT + 3  # a dying capture costs a restart or two; more in a row means no worker can run
RUN = "PIPELINE_RUN_PID"
# A local cluster serves no dashboard, so its workers need not sample their own stacks (Dask's statistical
# profiler: 5–8% of a worker's CPU on these tasks), and tasks of seconds need no 20 ms event-loop tick nor
# 0.1–0.5 s monitors; together 3–4% of the cluster's CPU besides the tasks, measured on a busy cluster
LOCAL_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}  # the run's process id, for a fork server that starts after the run died


@dataclass(frozen=True)
class Runner:
    """Where a run's work goes: called with the stages' works, it gives each work's Done (one per stage
    it ran) as they finish; `spread` runs a whole-set stage's pieces on the same workers."""

    works: Callable[[list[Work]], Iterator[list[Done]]]
    spread: Spread = in_process

    def __call__(self, tasks: list[Work]) -> Iterator[list[Done]]:
        return self.works(tasks)


@dataclass(frozen=True)
class Executor:
    kind: Literal["local", "dask"] = "local"
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
        if self.jobs > 0:
            return self.jobs
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def session(executor: Executor) -> Iterator[Runner]:
    """Workers are started once and kept for every stage of a run."""
    if executor.kind == "dask":
        with _dask(executor) as runner:
            yield runner
    elif executor.workers == 1:
        yield Runner(_serial)
    else:
        with _local(executor.workers) as runner:
            yield runner


def _serial(tasks: list[Work]) -> Iterator[list[Done]]:
    return map(run, tasks)


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent ends (Linux), so no worker outlives a run."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


@contextmanager
def _local(workers: int) -> Iterator[Runner]:
    # forkserver: workers fork from a clean process that has imported the pipeline once, never from
    # this one (which may hold threads, such as a progress bar's); the preloaded worker module makes
    # the fork server itself die with this process
    # the pool's modules load only when a run uses one: a run with nothing to do, or too little to
    # start workers for, never needs them
    pool: ProcessPoolExecutor | None = None

    def start() -> ProcessPoolExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pipeline.runtime.worker"])
        os.environ[RUN] = str(os.getpid())  # the fork server checks its parent is still this process
        return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent)

    def runner(tasks: list[Work]) -> Iterator[list[Done]]:
        nonlocal pool
        if len(tasks) < SMALL:
            yield from _serial(tasks)
            return
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending = list(reversed(tasks))
        running: dict[Future, tuple[Work, ...]] = {}
        suspects: set[Work] = set()  # in flight when a worker died: each is retried alone
        restarts = 0  # pools started since the last result: workers that cannot even start end the run
        whole: dict[Chain, Chain] = {}  # a dying chain's first step, run alone → the chain
        while pending or running:
            if pool is None:
                pool = start()
            alone = bool(suspects)
            broken = False
            while pending and len(running) < (1 if alone else workers * IN_FLIGHT):
                batch = _batch(pending, 1 if alone else _batch_size(len(pending), workers))
                try:
                    running[pool.submit(run_batch, batch)] = batch
                except BrokenProcessPool:  # a worker died since the last wait: nothing more can be sent
                    pending.extend(reversed(batch))
                    broken = True
                    break
            finished, _ = wait(running, return_when=FIRST_COMPLETED) if running else (set(), set())
            for future in finished:
                batch = running.pop(future)
                try:
                    made = future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone and batch[0] in suspects:
                        work = batch[0]
                        if isinstance(work, Part | PartChain):
                            target = work.target if isinstance(work, Part) else work.first.target
                            raise RuntimeError(f"a worker died while making {target}: {DIED}") from None
                        suspects.discard(work)
                        if isinstance(work, Chain) and work.steps:  # which step? its first alone, then the rest
                            head = Chain(work.first, (), work.key)
                            whole[head] = work
                            suspects.add(head)
                            pending.append(head)
                        else:
                            yield quarantine(whole.pop(work, work) if isinstance(work, Chain) else work, DIED)
                    else:
                        suspects.update(batch)
                        pending.extend(reversed(batch))
                    continue
                restarts = 0
                for work, results in zip(batch, made):
                    suspects.discard(work)
                    if work in whole:
                        later = rest(whole.pop(work), results[0])
                        suspects.update(later)
                        pending.extend(later)
                    yield results
            if broken:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise RuntimeError(f"worker processes keep dying before finishing any capture: {DIED}")
                for lost in running.values():  # lost with the pool: tried again, each alone
                    suspects.update(lost)
                    pending.extend(reversed(lost))
                running.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
                pending.sort(key=lambda w: w not in suspects)  # suspects first, each alone
                pending.reverse()

    def spread(function: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any]) -> Iterator[Any]:
        nonlocal pool
        if len(items) < SMALL:
            yield from in_process(function, items)
            return
        from concurrent.futures.process import BrokenProcessPool

        if pool is None:
            pool = start()
        futures = [pool.submit(function, batch) for batch in _batches(items, workers)]
        try:
            for future in futures:
                yield from future.result()
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
            raise RuntimeError(SPREAD_DIED) from None

    try:
        yield Runner(runner, spread)
    finally:
        if pool is not None:
            pool.shutdown()


def _batch_size(remaining: int, workers: int) -> int:
    """Guided scheduling: large batches while much is left, smaller towards the end."""
    return max(1, min(BATCH, remaining // (workers * TAIL)))


def _batches(items: Sequence[Any], workers: int) -> Iterator[Sequence[Any]]:
    """`items` cut in order into batches of a guided size (`_batch_size`)."""
    start = 0
    while start < len(items):
        size = _batch_size(len(items) - start, workers)
        yield items[start : start + size]
        start += size


def _batch(pending: list[Work], size: int) -> tuple[Work, ...]:
    """The next `size` works (pending is kept reversed: its end is next)."""
    taken = pending[-size:]
    del pending[-size:]
    return tuple(reversed(taken))


def local_cluster(workers: int) -> Any:
    """A Dask cluster on this machine: `workers` worker processes of one thread each, run with the
    `LOCAL_CLUSTER` config (the nannies hand it to their workers); close it, or use it as a context."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


@contextmanager
def _dask(executor: Executor) -> Iterator[Runner]:
    """A Dask client, connected (or its local cluster started: ~2.5 s) when the first work comes, so a
    run with nothing to do starts none. A local cluster runs with `LOCAL_CLUSTER` config."""
    stack = ExitStack()
    client = None

    def connect() -> Any:
        from dask.distributed import Client

        if executor.scheduler:
            return stack.enter_context(Client(executor.scheduler))
        cluster = stack.enter_context(local_cluster(executor.workers))
        return stack.enter_context(Client(cluster))

    def runner(tasks: list[Work]) -> Iterator[list[Done]]:
        nonlocal client
        if not tasks:
            return
        from dask.distributed import as_completed

        client = client or connect()
        for future in as_completed(client.map(run, tasks, pure=False)):
            yield future.result()

    def spread(function: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any]) -> Iterator[Any]:
        nonlocal client
        if len(items) < SMALL:
            yield from in_process(function, items)
            return
        client = client or connect()
        for future in client.map(function, list(_batches(items, executor.workers)), pure=False):
            yield from future.result()

    with stack:
        yield Runner(runner, spread)
