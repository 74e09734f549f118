"""`python -m pipeline <stage>`: the pipeline's command line. Exit status 0 all good, 1 some captures
quarantined (tables still published), 2 usage, configuration or validation error."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline import stages
from pipeline.publish import ValidationError

STAGES = ("extract", "clean", "structure", "merge", "publish")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--raw", type=Path, default=Path("raw"), help="folder of captures (default: raw)")
    common.add_argument("--interim", type=Path, default=Path("interim"), help="intermediate files (default: interim)")
    common.add_argument("--processed", type=Path, default=Path("processed"),
                        help="published tables (default: processed)")
    common.add_argument("-v", "--verbose", action="store_true", help="log each capture and show tracebacks")
    common.add_argument("-q", "--quiet", action="store_true", help="only errors")
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    helps = {
        "extract": "read every capture in RAW into blocks (interim/extract)",
        "clean": "mark site furniture, pull quotes and chart labels; rejoin split paragraphs (interim/clean)",
        "structure": "recognise each page and read its cell, entries and bite (interim/structure)",
        "merge": "combine captures of the same cell (interim/merge)",
        "publish": "validate and write the Parquet tables and report.json (processed)",
        "all": "run every stage in order",
        "docs": "regenerate docs/data-dictionary.md from the schemas",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, parents=[common], help=text, description=text)
        if name in ("publish", "all"):
            p.add_argument("--strict", action="store_true", help="treat any quarantined capture as a failed run")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(message)s")
    paths = stages.Paths(args.raw, args.interim, args.processed)
    if args.command != "docs" and not args.raw.is_dir():
        print(f"error: capture folder {args.raw} does not exist", file=sys.stderr)
        return 2
    try:
        if args.command == "docs":
            stages.write_dictionary(Path("docs/data-dictionary.md"))
            return 0
        run = {"extract": stages.extract, "clean": stages.clean_stage, "structure": stages.structure_stage,
               "merge": stages.merge_stage}
        for name in STAGES[:-1]:
            if args.command in (name, "all"):
                run[name](paths)
        if args.command in ("publish", "all"):
            return stages.publish_stage(paths, strict=args.strict)
        return 0
    except ValidationError as exc:
        print(f"error: tables not published: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        if args.verbose:
            raise
        print(f"error: {exc.filename} is missing; run the earlier stages first (make all)", file=sys.stderr)
        return 2
