"""Where one capture's time goes in the chain, step by step, measured without a profiler.

cProfile charges a Python call far more than a system call, so its shares overstate the chain's
Python and hide what the file system costs; this times each step of extract → clean → structure as
the workers run it (read the raw file, read it into blocks, clean, structure, and for each of the
three records: encode the JSON, hash it, compress it, write its file) with a clock around each, in
one process, over the first captures of a corpus. The written records go to a scratch folder.

    python -m bench.split RAW [--captures N]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from pipeline.clean.passes import clean
from pipeline.extract.entry import read_bounded, read_one
from pipeline.extract.limits import MAX_BYTES
from pipeline.model import to_json_bytes
from pipeline.runtime.atomic import write_bytes_atomic
from pipeline.runtime.records import SUFFIX, pack
from pipeline.structure import structure

STEPS = ("read", "extract", "clean", "structure", "encode", "sha256", "compress", "write")
CAPTURES = 2000  # captures timed: enough to mix the three formats of the synthetic corpus
WARM_UP = 3  # captures run untimed first (a synthetic corpus cycles through the formats)


def split(raw: Path, captures: int = CAPTURES) -> dict:
    """Milliseconds per capture of each step, its share, and the JSON a capture's three records make."""
    spent = dict.fromkeys(STEPS, 0.0)
    files = sorted(p for p in raw.iterdir() if p.is_file())[:captures]
    json_bytes = 0
    clock = time.perf_counter
    for path in files[:WARM_UP]:  # the readers' libraries load on first use: not a capture's cost
        structure(clean(read_one(path.name, read_bounded(path, MAX_BYTES), None, None, None, MAX_BYTES)))
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        for path in files:
            t0 = clock()
            data = read_bounded(path, MAX_BYTES)
            t1 = clock()
            capture = read_one(path.name, data, None, None, None, MAX_BYTES)
            t2 = clock()
            cleaned = clean(capture)
            t3 = clock()
            page = structure(cleaned)
            t4 = clock()
            for step, took in zip(STEPS[:4], (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                spent[step] += took
            for n, record in enumerate((capture, cleaned, page)):
                a = clock()
                encoded = to_json_bytes(record)
                b = clock()
                hashlib.sha256(encoded).hexdigest()
                c = clock()
                packed = pack(encoded)
                d = clock()
                write_bytes_atomic(out / f"{n}-{path.name}{SUFFIX}", packed)
                e = clock()
                for step, took in zip(STEPS[4:], (b - a, c - b, d - c, e - d)):
                    spent[step] += took
                json_bytes += len(encoded)
    total = sum(spent.values())
    return {
        "captures": len(files),
        "ms_per_capture": round(total / len(files) * 1000, 3),
        "json_kb_per_capture": round(json_bytes / len(files) / 1024, 1),
        "steps": {s: {"ms": round(t / len(files) * 1000, 3), "share": round(t / total, 3)} for s, t in spent.items()},
    }


def table(found: dict) -> list[str]:
    lines = [
        f"one capture's chain, step by step, no profiler ({found['captures']} captures, one process): "
        f"{found['ms_per_capture']} ms a capture, its three records {found['json_kb_per_capture']} KB of JSON"
    ]
    lines += [f"{step:<10} {s['ms']:>6.3f} ms {s['share']:>6.1%}" for step, s in found["steps"].items()]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", type=Path)
    ap.add_argument("--captures", type=int, default=CAPTURES)
    args = ap.parse_args()
    print("\n".join(table(split(args.raw, args.captures))))


if __name__ == "__main__":
    main()
