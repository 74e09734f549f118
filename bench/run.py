"""`make bench`: speed, scaling, memory, parallel and incremental runs, HTML parsers, and other extractors.

Builds synthetic corpora from raw/ (bench/synth.py), runs the real command line on them in fresh
processes, and writes bench/results.json plus a short table. Not a test: figures depend on the machine.
    python -m bench.run [--sizes 100 1000 10000] [--work bench/work]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import synth
from bench.extractors import compare_extractors, compare_parsers

STAGES = ("extract", "clean", "structure", "merge", "publish")
PY = sys.executable


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory of the command and all its worker processes together."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return seconds, peak


def _dirs(work: Path) -> list[str]:
    return ["--raw", str(work / "raw"), "--interim", str(work / "interim"), "--processed", str(work / "processed")]


def run_stages(work: Path, jobs: int) -> dict:
    """Each stage from empty interim/processed folders, as `make all` runs them."""
    shutil.rmtree(work / "interim", ignore_errors=True)
    shutil.rmtree(work / "processed", ignore_errors=True)
    stages = {}
    for stage in STAGES:
        extra = ["--jobs", str(jobs)] if stage in ("extract", "clean", "structure") else []
        seconds, peak = measure([PY, "-m", "pipeline", stage, "-q", *_dirs(work), *extra])
        stages[stage] = {"seconds": round(seconds, 3), "peak_rss_mb": round(peak / 2**20, 1)}
    return stages


def scale(sizes: list[int], seeds: list[synth.Seed], root: Path, jobs: int) -> dict:
    out = {}
    for size in sizes:
        work = root / f"corpus-{size}"
        shutil.rmtree(work, ignore_errors=True)
        nbytes = synth.write(synth.corpus(seeds, size), work / "raw")
        stages = run_stages(work, jobs)
        total = sum(s["seconds"] for s in stages.values())
        for s in stages.values():
            s["captures_per_s"] = round(size / s["seconds"], 1)
            s["input_mb_per_s"] = round(nbytes / 2**20 / s["seconds"], 2)
        out[size] = {
            "captures": size,
            "input_mb": round(nbytes / 2**20, 2),
            "stages": stages,
            "end_to_end": {
                "seconds": round(total, 3),
                "captures_per_s": round(size / total, 1),
                "input_mb_per_s": round(nbytes / 2**20 / total, 2),
                "input_mb_per_s_per_core": round(nbytes / 2**20 / total / jobs, 2),
                "peak_rss_mb": max(s["peak_rss_mb"] for s in stages.values()),
            },
        }
        print(f"  {size:>6} captures: {total:7.2f} s", flush=True)
    return out


def cores(work: Path, jobs: int) -> dict:
    """The same corpus on one core and on `jobs` cores: end to end, and the per-capture stages alone."""
    result = {}
    for n in sorted({1, jobs}):
        stages = run_stages(work, n)
        result[n] = {
            "end_to_end_s": round(sum(s["seconds"] for s in stages.values()), 3),
            "per_capture_stages_s": round(sum(stages[s]["seconds"] for s in STAGES[:3]), 3),
        }
    if jobs > 1:
        result["speedup_end_to_end"] = round(result[1]["end_to_end_s"] / result[jobs]["end_to_end_s"], 2)
        result["speedup_per_capture_stages"] = round(
            result[1]["per_capture_stages_s"] / result[jobs]["per_capture_stages_s"], 2
        )
    return result


def incremental(work: Path, seeds: list[synth.Seed]) -> dict:
    """`make all` from scratch, again with nothing changed, and after one new capture lands in raw/."""
    shutil.rmtree(work / "interim", ignore_errors=True)
    shutil.rmtree(work / "processed", ignore_errors=True)
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
    full, _ = measure(make)
    unchanged, _ = measure(make)
    direct_unchanged, _ = measure([PY, "-m", "pipeline", "all", "-q", *_dirs(work)])
    new = synth.corpus(seeds, 1, seed=99)[0]
    (work / "raw" / f"new-{new.name}").write_bytes(new.data)
    one_new, _ = measure(make)
    (work / "raw" / f"new-{new.name}").unlink()
    return {
        "full_s": round(full, 3),
        "no_change_s": round(unchanged, 3),
        "no_change_without_make_stamps_s": round(direct_unchanged, 3),
        "one_new_capture_s": round(one_new, 3),
        "no_change_fraction": round(unchanged / full, 4),
        "one_new_fraction": round(one_new / full, 4),
    }


def dask_parts(work: Path, jobs: int) -> dict:
    """`all` on a local Dask cluster writing Parquet parts, beside the local run's folders; its tables
    must be the local run's, byte for byte."""
    interim, processed = work / "interim-dask", work / "processed-dask"
    shutil.rmtree(interim, ignore_errors=True)
    shutil.rmtree(processed, ignore_errors=True)
    seconds, peak = measure(
        [
            PY,
            "-m",
            "pipeline",
            "all",
            "-q",
            "--executor",
            "dask",
            "--jobs",
            str(jobs),
            "--raw",
            str(work / "raw"),
            "--interim",
            str(interim),
            "--processed",
            str(processed),
        ]
    )
    same = all((processed / p.name).read_bytes() == p.read_bytes() for p in (work / "processed").glob("*.parquet"))
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "parts_per_stage": len(list((interim / "structure").glob("part-*.parquet"))),
        "same_tables": same,
    }


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
    lines = [
        f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"Python {results['machine']['python']}",
        f"{'captures':>8} {'input MB':>8} {'stage':<10} {'seconds':>8} {'capt/s':>8} {'MB/s':>7} {'peak MB':>8}",
    ]
    for size, r in results["scale"].items():
        for name, s in [*r["stages"].items(), ("end-to-end", r["end_to_end"])]:
            lines.append(
                f"{size:>8} {r['input_mb']:>8} {name:<10} {s['seconds']:>8.2f} {s['captures_per_s']:>8.1f} "
                f"{s['input_mb_per_s']:>7.2f} {s['peak_rss_mb']:>8.1f}"
            )
    g = results.get("growth_exponent")
    if g is not None:
        lines.append(f"growth exponent {results['growth_between']}: {g}")
    c = results["cores"]
    if "speedup_end_to_end" in c:
        lines.append(
            f"{results['machine']['cores']} cores vs 1: end to end x{c['speedup_end_to_end']}, "
            f"per-capture stages x{c['speedup_per_capture_stages']}"
        )
    i = results["incremental"]
    lines.append(
        f"make all: full {i['full_s']} s; no change {i['no_change_s']} s ({i['no_change_fraction']:.1%}); "
        f"one new capture {i['one_new_capture_s']} s ({i['one_new_fraction']:.1%})"
    )
    d = results["dask"]
    lines.append(
        f"dask, local cluster of {results['jobs']}, Parquet parts: all {d['seconds']} s, "
        f"{d['parts_per_stage']} parts per stage, peak {d['peak_rss_mb']} MB, "
        f"tables identical to the local run: {'yes' if d['same_tables'] else 'NO'}"
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
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--raw", type=Path, default=Path("raw"))
    ap.add_argument("--work", type=Path, default=Path("bench/work"))
    ap.add_argument("--out", type=Path, default=Path("bench/results.json"))
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    seeds = synth.seeds(args.raw)
    print(f"corpora of {args.sizes} captures from {len(seeds)} seed pages; {args.jobs} worker(s)", flush=True)
    results = {"machine": machine(), "jobs": args.jobs, "scale": scale(args.sizes, seeds, args.work, args.jobs)}
    if len(args.sizes) >= 2:
        a, b = sorted(args.sizes)[-2:]
        ta, tb = (results["scale"][n]["end_to_end"]["seconds"] for n in (a, b))
        results["growth_between"] = f"{a} to {b}"
        results["growth_exponent"] = round(math.log(tb / ta) / math.log(b / a), 3)
    largest = args.work / f"corpus-{max(args.sizes)}"  # where fixed start-up costs matter least
    print("cores ...", flush=True)
    results["cores"] = cores(largest, args.jobs)
    print("dask ...", flush=True)
    results["dask"] = dask_parts(largest, args.jobs)  # before incremental, which adds a capture to raw/
    print("incremental ...", flush=True)
    results["incremental"] = incremental(args.work / f"corpus-{max(args.sizes)}", seeds)
    print("extractors and parsers ...", flush=True)
    html_pages = synth.corpus(seeds, 300, formats=("html",))
    results["extractors"] = compare_extractors(html_pages)
    results["parsers"] = compare_parsers(html_pages)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
