"""`make bench`: speed, scaling, memory, parallel and incremental runs, HTML parsers, and other extractors.

Builds synthetic corpora from raw/ (bench/synth.py), runs the real command line on them in fresh
processes, and writes bench/results.json plus the table the README's Performance section shows. Not a
test: figures depend on the machine. What each line measures:
- end to end: one `python -m pipeline all --jobs 1` from empty interim/ and processed/ (one worker);
- merge, publish: each stage run again alone on the same interim/, for its own time and peak memory;
- cores: the largest corpus up to 10,000 captures with every core, against one, interleaved (best of two each);
- incremental: at that corpus, `make all` and `python -m pipeline all` with nothing changed, and after
  one new capture lands in raw/;
- dask: `all` on a local Dask cluster writing Parquet parts, side by side with the process pool on as many
  workers writing files and writing the same parts, and the local cluster's start alone;
- profile: the top functions of a one-worker `all` on the smallest corpus (cProfile, in-process);
- split: one capture's chain step by step without a profiler, on that corpus (bench/split.py).
The package is compiled to bytecode first, as an installed one is.
    python -m bench.run [--sizes 1000 10000 30000] [--work bench/work]
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import json
import math
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import split, synth
from bench.extractors import compare_extractors, compare_parsers
from pipeline.runtime.executors import PART_SIZE

PY = sys.executable
ONE_NEW_RUNS = 3  # one new capture added (and removed again) this many times: one run swings by ±0.2 s
WHOLE_SET = ("merge", "publish")  # the stages whose memory must not grow with the corpus
CORES_AT = 10_000  # the corpus size the targets name for cores, incremental and Dask
PROFILE_TOP = 15  # functions listed per profile
POLL_S = 0.02  # how often the memory of a measured command is read
# the local cluster the pipeline starts (executors.local_cluster), its workers importing the chain's code, then closed
CLUSTER_START = """
import sys
from dask.distributed import Client
from pipeline.runtime.executors import local_cluster
with local_cluster(int(sys.argv[1])) as cluster, Client(cluster) as client:
    client.run(lambda: __import__("pipeline.runtime.tasks"))
"""


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, int, float]:
    """Wall seconds, peak resident memory and CPU seconds (user + system) of the command and all its
    worker processes together. CPU time is what a shared machine does not inflate: the per-core
    throughput figures are given in both. A pool's workers are the fork server's children, which this
    process never reaps, so CPU is also summed over the process tree as last polled (short by at most
    one poll a process); the larger of that and the reaped children's usage is taken. What earlier
    commands wrote is flushed to disk first, so that no run pays for the writes of the one before it."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    polled: dict[int, float] = {}
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            for p in tree:
                times = p.cpu_times()
                polled[p.pid] = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(POLL_S)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return seconds, peak, max(reaped, sum(polled.values()))


def _dirs(work: Path, interim: str = "interim", processed: str = "processed") -> list[str]:
    return ["--raw", str(work / "raw"), "--interim", str(work / interim), "--processed", str(work / processed)]


def _fresh(work: Path, *folders: str) -> None:
    for folder in folders or ("interim", "processed"):
        shutil.rmtree(work / folder, ignore_errors=True)


def _mb(nbytes: float) -> float:
    return round(nbytes / 2**20, 1)


def end_to_end(work: Path, jobs: int) -> dict:
    """One `all` from scratch on `jobs` workers."""
    _fresh(work)
    seconds, peak, cpu = measure([PY, "-m", "pipeline", "all", "-q", "--jobs", str(jobs), *_dirs(work)])
    return {"seconds": round(seconds, 3), "cpu_s": round(cpu, 3), "peak_rss_mb": _mb(peak)}


def whole_set(work: Path) -> dict:
    """Merge and publish again, each alone, on the interim/ a full run left."""
    out = {}
    for stage in WHOLE_SET:
        _fresh(work, "processed", *(["interim/merge"] if stage == "merge" else []))
        seconds, peak, cpu = measure([PY, "-m", "pipeline", stage, "-q", *_dirs(work)])
        out[stage] = {"seconds": round(seconds, 3), "cpu_s": round(cpu, 3), "peak_rss_mb": _mb(peak)}
    return out


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def scale(sizes: list[int], seeds: list[synth.Seed], root: Path) -> dict:
    out = {}
    for size in sizes:
        work = root / f"corpus-{size}"
        shutil.rmtree(work, ignore_errors=True)
        nbytes = synth.write(synth.corpus(seeds, size), work / "raw")
        e2e = end_to_end(work, 1)
        interim = _size(work / "interim")
        mb = nbytes / 2**20
        out[size] = {
            "captures": size,
            "input_mb": round(mb, 2),
            "end_to_end": {
                **e2e,
                "captures_per_s": round(size / e2e["seconds"], 1),
                "input_mb_per_s_per_core": round(mb / e2e["seconds"], 2),
                "input_mb_per_cpu_s": round(mb / e2e["cpu_s"], 2),
            },
            "interim_vs_input": round(interim / nbytes, 2),
            "stages": whole_set(work),
        }
        print(f"  {size:>6} captures: {e2e['seconds']:7.2f} s", flush=True)
    return out


def cores(work: Path, jobs: int, one: dict) -> dict:
    """The corpus end to end on every core against one worker, interleaved (every core, one, every
    core; `one` is the run already measured): the speed of this VM drifts by a third within minutes,
    so the speedup is the best run of one worker over the best on every core."""
    first = end_to_end(work, jobs)
    ones = [one, end_to_end(work, 1)]
    manys = [first, end_to_end(work, jobs)]
    best_one, best_many = (min(runs, key=lambda r: r["seconds"]) for runs in (ones, manys))
    return {
        "1": best_one,
        str(jobs): best_many,
        "runs_s": {"1": [r["seconds"] for r in ones], str(jobs): [r["seconds"] for r in manys]},
        "speedup": round(best_one["seconds"] / best_many["seconds"], 2),
    }


def incremental(work: Path, seeds: list[synth.Seed]) -> dict:
    """`make all` from scratch, again with nothing changed, and after one new capture lands in raw/."""
    _fresh(work)
    make = [
        "make",
        "--no-print-directory",
        "-s",
        "all",
        f"RAW={work / 'raw'}",
        f"INTERIM={work / 'interim'}",
        f"PROCESSED={work / 'processed'}",
        f"PYTHON={PY}",
    ]
    direct = [PY, "-m", "pipeline", "all", "-q", *_dirs(work)]
    full, _, _ = measure(make)
    unchanged, _, _ = measure(make)
    direct_unchanged, _, unchanged_cpu = measure(direct)
    new = synth.corpus(seeds, 1, seed=99)[0]
    added = work / "raw" / f"new-{new.name}"
    runs = []
    for _ in range(ONE_NEW_RUNS):
        added.write_bytes(new.data)
        runs.append(measure(direct))
        added.unlink()
        measure(direct)  # back to the corpus as it was
    one_new, _, one_new_cpu = sorted(runs)[len(runs) // 2]  # the median run, by wall time
    return {
        "full_s": round(full, 3),
        "no_change_make_s": round(unchanged, 3),
        "no_change_s": round(direct_unchanged, 3),
        "no_change_cpu_s": round(unchanged_cpu, 3),
        "one_new_capture_s": round(one_new, 3),
        "one_new_capture_cpu_s": round(one_new_cpu, 3),
        "one_new_capture_runs_s": [round(r[0], 3) for r in runs],
    }


def dask_parts(work: Path, jobs: int) -> dict:
    """`all` on a local Dask cluster writing Parquet parts, beside the local run's folders, measured side
    by side with the process pool on as many workers, once with a file per capture (what `make all`
    runs; `vs_pool`) and once with the same parts (`vs_pool_parts`): the two ratios part what the parts
    cost from what Dask does; and the local cluster's own start and stop, on its own. Its tables must
    be the pool's, byte for byte."""
    cmd = [PY, "-m", "pipeline", "all", "-q", "--jobs", str(jobs)]
    pool = end_to_end(work, jobs)
    _fresh(work, "interim-parts", "processed-parts")
    parted, _, _ = measure([*cmd, "--part-size", str(PART_SIZE), *_dirs(work, "interim-parts", "processed-parts")])
    _fresh(work, "interim-dask", "processed-dask")
    seconds, peak, _ = measure([*cmd, "--executor", "dask", *_dirs(work, "interim-dask", "processed-dask")])
    started, _, _ = measure([PY, "-c", CLUSTER_START, str(jobs)])
    pool_tables = sorted((work / "processed").glob("*.parquet"))
    same = all(
        (work / other / p.name).read_bytes() == p.read_bytes()
        for other in ("processed-dask", "processed-parts")
        for p in pool_tables
    )
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": _mb(peak),
        "pool_s": pool["seconds"],
        "pool_parts_s": round(parted, 3),
        "cluster_start_s": round(started, 3),
        "vs_pool": round(seconds / pool["seconds"], 2),
        "vs_pool_parts": round(seconds / parted, 2),
        "parts_per_stage": len(list((work / "interim-dask" / "structure").glob("part-*.parquet"))),
        "same_tables": same,
    }


def profile(work: Path, out: Path) -> list[dict]:
    """The top functions (own time) of a one-worker `all` from scratch, run in this process."""
    from pipeline.cli import main as pipeline_main

    _fresh(work)
    profiler = cProfile.Profile()
    profiler.runcall(pipeline_main, ["all", "-q", "--jobs", "1", *_dirs(work)])
    profiler.dump_stats(out)
    stats = pstats.Stats(str(out))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:PROFILE_TOP]  # type: ignore[attr-defined]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})" if file != "~" else name,
            "calls": calls,
            "own_s": round(own, 3),
            "cumulative_s": round(cum, 3),
            "share": round(own / total, 3),
        }
        for (file, line, name), (_, calls, own, cum, _) in rows
    ]


def machine() -> dict:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def table(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}",
        "one worker, from scratch (end to end: one `python -m pipeline all --jobs 1`; merge, publish: run again alone)",
        f"{'captures':>8} {'input MB':>8} {'e2e s':>7} {'cpu s':>7} {'MB/s':>6} {'MB/cpu-s':>8} {'peak MB':>7} "
        f"{'interim x':>9} {'merge s':>7} {'merge MB':>8} {'publish s':>9} {'publish MB':>10}",
    ]
    for size, r in results["scale"].items():
        e, s = r["end_to_end"], r["stages"]
        lines.append(
            f"{size:>8} {r['input_mb']:>8} {e['seconds']:>7.2f} {e['cpu_s']:>7.2f} "
            f"{e['input_mb_per_s_per_core']:>6.2f} {e['input_mb_per_cpu_s']:>8.2f} {e['peak_rss_mb']:>7.0f} "
            f"{r['interim_vs_input']:>9.2f} {s['merge']['seconds']:>7.2f} {s['merge']['peak_rss_mb']:>8.0f} "
            f"{s['publish']['seconds']:>9.2f} {s['publish']['peak_rss_mb']:>10.0f}"
        )
    if "growth_exponent" in results:
        lines.append(
            f"growth exponent {results['growth_between']}: {results['growth_exponent']} (wall), "
            f"{results['growth_exponent_cpu']} (CPU)"
        )
    c = results["cores"]
    lines.append(
        f"{results['jobs']} workers vs 1 at {results['cores_at']} captures: x{c['speedup']} (the best of "
        f"{', '.join(map(str, c['runs_s'][str(results['jobs'])]))} s against the best of "
        f"{', '.join(map(str, c['runs_s']['1']))} s, run interleaved)"
    )
    i = results["incremental"]
    lines.append(
        f"at {results['cores_at']} captures: full make all {i['full_s']} s; no change {i['no_change_s']} s "
        f"({i['no_change_cpu_s']} s CPU; make all {i['no_change_make_s']} s); one new capture "
        f"{i['one_new_capture_s']} s ({i['one_new_capture_cpu_s']} s CPU; the median of "
        f"{', '.join(map(str, i['one_new_capture_runs_s']))} s)"
    )
    d = results["dask"]
    lines.append(
        f"dask, local cluster of {results['jobs']}, Parquet parts: {d['seconds']} s; side by side, the process pool "
        f"{d['pool_s']} s (x{d['vs_pool']}), the pool with the same parts {d['pool_parts_s']} s "
        f"(x{d['vs_pool_parts']}); the cluster's start and stop alone {d['cluster_start_s']} s; "
        f"{d['parts_per_stage']} parts per stage, peak {d['peak_rss_mb']} MB, tables identical to the pool's: "
        f"{'yes' if d['same_tables'] else 'NO'}"
    )
    ex = results["extractors"]
    lines.append(
        f"the same {ex['findings-pipeline (tables)']['captures']} HTML pages in memory, one process, "
        "CPU time of the best round"
    )
    lines.append(
        f"{'extractor':<28} {'ms/capture':>10} {'MB/s':>7} {'x pipeline':>10} {'furniture kept':>14} "
        f"{'content kept':>12}"
    )
    for name, e in ex.items():
        if not isinstance(e, dict):
            continue
        kept = (
            "" if e["furniture_surviving"] is None else f"{e['furniture_surviving']:>14.1%} {e['content_kept']:>12.1%}"
        )
        lines.append(
            f"{name:<28} {e['ms_per_capture']:>10.2f} {e['input_mb_per_s']:>7.2f} "
            f"{e['time_vs_pipeline_tables']:>10.2f} {kept}"
        )
    lines.append(
        f"trafilatura's time per capture / the pipeline's: x{ex['speed_ratio_vs_trafilatura_text']} (text), "
        f"x{ex['speed_ratio_vs_trafilatura_tables']} (text and tables); the pipeline's / the floor's: "
        f"x{ex['pipeline_text_vs_floor']} (text), x{ex['pipeline_tables_vs_floor']} (text and tables)"
    )
    lines.append(f"{'HTML parser (parse, walk text)':<30} {'ms/capture':>10}")
    for name, ms in results["parsers"].items():
        lines.append(f"{name:<30} {ms:>10.2f}")
    p = results["profile"]
    lines.append(f"profile of a one-worker `all` on {p['captures']} captures (cProfile, own time)")
    lines.append(f"{'function':<52} {'calls':>9} {'own s':>7} {'share':>6} {'cum s':>7}")
    for row in p["top"]:
        lines.append(
            f"{row['function'][:52]:<52} {row['calls']:>9} {row['own_s']:>7.3f} {row['share']:>6.1%} "
            f"{row['cumulative_s']:>7.3f}"
        )
    if "split" in results:
        lines += split.table(results["split"])
    return "\n".join(lines)


def _save(results: dict, out: Path) -> None:
    """What is measured so far: a run that fails later still leaves its figures."""
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000])
    ap.add_argument("--raw", type=Path, default=Path("raw"))
    ap.add_argument("--work", type=Path, default=Path("bench/work"))
    ap.add_argument("--out", type=Path, default=Path("bench/results.json"))
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    sizes = sorted(args.sizes)
    # the package's bytecode, as an install has it (pip compiles; a first run writes it): where writing
    # it is turned off (PYTHONDONTWRITEBYTECODE), every measured run would compile ~80 modules again
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "pipeline", quiet=1)
    seeds = synth.seeds(args.raw)
    print(f"corpora of {sizes} captures from {len(seeds)} seed pages; {args.jobs} worker(s)", flush=True)
    results: dict = {"machine": machine(), "jobs": args.jobs, "scale": scale(sizes, seeds, args.work)}
    _save(results, args.out)
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        ta, tb = (results["scale"][n]["end_to_end"]["seconds"] for n in (a, b))
        results["growth_between"] = f"{a} to {b}"
        results["growth_exponent"] = round(math.log(tb / ta) / math.log(b / a), 3)
        ca, cb = (results["scale"][n]["end_to_end"]["cpu_s"] for n in (a, b))
        results["growth_exponent_cpu"] = round(math.log(cb / ca) / math.log(b / a), 3)
    at = max((n for n in sizes if n <= CORES_AT), default=sizes[0])
    results["cores_at"] = at
    work = args.work / f"corpus-{at}"
    print("cores ...", flush=True)
    results["cores"] = cores(work, args.jobs, results["scale"][at]["end_to_end"])
    _save(results, args.out)
    print("dask ...", flush=True)
    results["dask"] = dask_parts(work, args.jobs)
    _save(results, args.out)
    print("incremental ...", flush=True)
    results["incremental"] = incremental(work, seeds)
    _save(results, args.out)
    print("extractors and parsers ...", flush=True)
    html_pages = synth.corpus(seeds, 300, formats=("html",))
    results["extractors"] = compare_extractors(html_pages)
    results["parsers"] = compare_parsers(html_pages)
    _save(results, args.out)
    print("profile ...", flush=True)
    smallest = args.work / f"corpus-{sizes[0]}"
    results["profile"] = {"captures": sizes[0], "top": profile(smallest, args.work / "profile.prof")}
    _save(results, args.out)
    print("split ...", flush=True)
    results["split"] = split.split(smallest / "raw")
    _save(results, args.out)
    report = table(results)
    (args.out.parent / "last-run.txt").write_text(report + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
