"""The command line every export shares: `python -m pipeline.export.NAME --processed DIR`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def parser(module: str, doc: str) -> argparse.ArgumentParser:
    """`module`'s parser, described by the first paragraph of its docstring `doc`, with --processed."""
    p = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.split("\n\n")[0])
    p.add_argument("--processed", type=Path, default=Path("processed"), help="folder of published tables")
    return p


def build_one(module: str, doc: str, build: Callable[[Path], Path], argv: list[str] | None) -> int:
    """The command of an export that builds one file from --processed: it prints the file's path."""
    print(build(parser(module, doc).parse_args(argv).processed))
    return 0
