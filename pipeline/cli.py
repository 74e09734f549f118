"""`python -m pipeline <stage>`: the pipeline's command line, one command per stage of the registry
(runtime/registry.py) plus `all`, `fetch` and `docs`. Exit status 0 all good, 1 some captures
quarantined (the rest published) or, for fetch, some pages failed; 2 usage, configuration or
validation error, or another run publishing (nothing written); 130 interrupted."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import fields
from pathlib import Path

from pipeline.extract.limits import MAX_BYTES
from pipeline.runtime import registry
from pipeline.runtime.context import Context
from pipeline.runtime.executors import Executor, session
from pipeline.runtime.lock import LockError
from pipeline.runtime.orchestrator import refresh
from pipeline.runtime.progress import Progress

log = logging.getLogger("pipeline")
ALL_HELP = "run every stage in order (" + " → ".join(registry.REFRESH) + "): only what changed is redone"


class _Version(argparse.Action):
    """--version, looked up only when asked for: importlib.metadata costs every other run its load time."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("findings-pipeline")
        except PackageNotFoundError:
            found = "unknown"
        print(f"findings-pipeline {found}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--raw", type=Path, default=Path("raw"), help="folder of captures (default: raw)")
    common.add_argument("--interim", type=Path, default=Path("interim"), help="intermediate files (default: interim)")
    common.add_argument(
        "--processed", type=Path, default=Path("processed"), help="published tables (default: processed)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log each capture and show tracebacks")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    helps = {s.name: s.help for s in registry.STAGES} | {
        "all": ALL_HELP,
        "docs": "regenerate docs/data-dictionary.md from the schemas",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, parents=[common], help=text, description=text)
        runs = registry.REFRESH if name == "all" else (name,) if name in registry.BY_NAME else ()
        if any(registry.get(n).kind == "per-capture" for n in runs):
            _executor_options(p)
        if any(registry.get(n).units for n in runs):
            p.add_argument(
                "--max-bytes",
                type=_positive,
                default=MAX_BYTES,
                help=f"largest capture read; bigger ones are quarantined (default: {MAX_BYTES:,})",
            )
        if "publish" in runs:
            p.add_argument("--strict", action="store_true", help="treat any quarantined capture as a failed run")
            p.add_argument(
                "--allow-empty",
                action="store_true",
                help="publish a set with no cells or documents over a published one (refused otherwise)",
            )
    _fetch_parser(sub.add_parser("fetch", parents=[common], help=FETCH_HELP, description=FETCH_HELP))
    return parser


def _positive(text: str) -> int:
    return _count(text, minimum=1)


def _not_negative(text: str) -> int:
    return _count(text, minimum=0)


def _count(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
    return value


def _executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-j",
        "--jobs",
        type=_not_negative,
        default=0,
        metavar="N",
        help="worker processes for the per-capture stages; 0 means one per core (default: 0)",
    )
    p.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local: this machine's cores; dask: a dask.distributed cluster (default: local)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --executor dask, the scheduler to use, e.g. tcp://10.0.0.5:8786 "
        "(default: start a local cluster of --jobs workers)",
    )
    p.add_argument(
        "--part-size",
        type=_not_negative,
        default=None,
        metavar="N",
        help="write the per-capture stages as Parquet parts of N captures (interim/*/part-*.parquet) "
        "rather than a JSON file per capture; 0: files (default: 256 with --executor dask, else 0)",
    )


FETCH_HELP = (
    "download fresh captures of both matrices' overview and cell pages (and, with --depth 1, the "
    "pages the cells link to) into RAW, politely; exit 0 all fetched or unchanged, 1 some failed"
)


def _fetch_parser(p: argparse.ArgumentParser) -> None:
    from pipeline.fetch.config import FetchConfig

    d = FetchConfig(contact="-")
    p.add_argument(
        "--base-url",
        "--mirror",
        dest="base_url",
        default=d.base_url,
        help=f"the site, or a mirror of it serving the same paths (default: {d.base_url})",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="another host (on the base URL's port), host:port or http(s)://host:port that requests and "
        "redirects may go to (repeatable); the base URL's own host and port always may",
    )
    p.add_argument(
        "--depth",
        type=int,
        default=d.depth,
        choices=(0, 1),
        help="0: overview and cell pages; 1: also the pages the cells link to (default: 0)",
    )
    p.add_argument("--limit", type=int, default=None, help="at most this many cell pages (for a trial run)")
    p.add_argument(
        "--contact",
        default=None,
        help="your e-mail address or URL, put in the User-Agent (default: $FETCH_CONTACT; required)",
    )
    p.add_argument(
        "--user-agent", default=None, help="the whole User-Agent (default: findings-pipeline/VERSION (+CONTACT))"
    )
    p.add_argument(
        "--interval",
        type=float,
        default=d.interval,
        help=f"seconds between requests to one host, at least; robots.txt Crawl-delay can raise it "
        f"(default: {d.interval:g})",
    )
    p.add_argument(
        "--concurrency", type=int, default=d.concurrency, help=f"requests in flight, 1–4 (default: {d.concurrency})"
    )
    p.add_argument(
        "--connect-timeout", type=float, default=d.connect_timeout, help=f"seconds (default: {d.connect_timeout:g})"
    )
    p.add_argument("--read-timeout", type=float, default=d.read_timeout, help=f"seconds (default: {d.read_timeout:g})")
    p.add_argument(
        "--deadline",
        type=float,
        default=d.deadline,
        help=f"seconds one request may take in all, connecting to the last byte (default: {d.deadline:g})",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=d.retries,
        help=f"per page, on connection errors, 429 and 5xx (default: {d.retries})",
    )
    p.add_argument(
        "--backoff",
        type=float,
        default=d.backoff_factor,
        help=f"backoff factor in seconds, doubled each retry, plus jitter (default: {d.backoff_factor:g})",
    )
    p.add_argument("--max-redirects", type=int, default=d.max_redirects, help=f"(default: {d.max_redirects})")
    p.add_argument("--max-bytes", type=int, default=d.max_bytes, help=f"largest page read (default: {d.max_bytes})")
    p.add_argument(
        "--warc",
        type=Path,
        default=None,
        help="also write the fetched responses to this WARC file (.warc or .warc.gz), outside RAW",
    )
    p.add_argument("--restart", action="store_true", help="ignore an interrupted run's journal and start over")


def _fetch(args: argparse.Namespace) -> int:
    from pipeline.fetch.config import ConfigError, FetchConfig
    from pipeline.fetch.crawl import crawl

    try:
        if args.warc and args.warc.resolve().parent == args.raw.resolve():
            raise ConfigError("--warc must be written outside the capture folder (its pages are already there)")
        # an option named as a setting sets it; these others are named otherwise or need more than that
        settings = {f.name: getattr(args, f.name) for f in fields(FetchConfig) if f.name in vars(args)}
        settings |= {
            "state": args.interim / "fetch",
            "allow_hosts": tuple(args.allow_host),
            "contact": args.contact or os.environ.get("FETCH_CONTACT", ""),
            "backoff_factor": args.backoff,
        }
        config = FetchConfig(**settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = crawl(config, progress=Progress(quiet=args.quiet))
    except KeyboardInterrupt:
        print("fetch interrupted: run it again to resume where it stopped", file=sys.stderr)
        return 130
    print(summary.text())
    return summary.exit_status


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    """`own_process`: the command line runs in a process of its own (`python -m pipeline`), which
    ends with the command."""
    args = _parser().parse_args(argv)
    if own_process and args.command in (*registry.BY_NAME, "all") and getattr(args, "executor", "local") == "local":
        _without_numpy()
    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(message)s", force=True)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted: run the same command again; finished captures are kept", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"error: {_explain(exc)} (run with -v for details)", file=sys.stderr)
        return 2


def _without_numpy() -> None:
    """Nothing the stages do hands pyarrow (the tables' writer and reader) a numpy array, and pyarrow
    uses numpy only when it can import it: in a process that is only this command, numpy is made
    unavailable, so pyarrow loads without it (~0.12 s of each publish, half of pyarrow's import).
    Only here: a process that goes on after the command (a test, a notebook) may convert tables to
    numpy or pandas later, which needs pyarrow loaded with numpy. Where numpy is already loaded,
    nothing changes."""
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]


def _explain(exc: Exception) -> str:
    from pipeline.publish.write import ValidationError  # pyarrow loads only for the stages that write tables

    if isinstance(exc, ValidationError):
        return f"tables not published: {exc}"
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename} is missing; run the earlier stages first (make all)"
    return str(exc) if isinstance(exc, (LockError, OSError)) else f"{type(exc).__name__}: {exc}"


def _run(args: argparse.Namespace) -> int:
    if args.command == "fetch":
        return _fetch(args)
    if args.command == "docs":
        from pipeline.publish.schemas import data_dictionary
        from pipeline.runtime.atomic import write_text_atomic

        write_text_atomic(Path("docs/data-dictionary.md"), data_dictionary())
        return 0
    wanted = registry.REFRESH if args.command == "all" else (args.command,)
    if any(registry.get(n).units for n in wanted) and not args.raw.is_dir():
        print(f"error: capture folder {args.raw} does not exist", file=sys.stderr)
        return 2
    options = {
        "max_bytes": getattr(args, "max_bytes", MAX_BYTES),
        "strict": getattr(args, "strict", False),
        "allow_empty": getattr(args, "allow_empty", False),
        "quiet": args.quiet,
    }
    executor = Executor(
        getattr(args, "executor", "local"),
        getattr(args, "jobs", 1),
        getattr(args, "scheduler", None),
        getattr(args, "part_size", None),
    )
    options["part_size"] = executor.parts
    context = Context(args.raw, args.interim, args.processed, options)
    progress = Progress(quiet=args.quiet, prefix="", unit="capture", every_tenth=True)
    per_capture = any(registry.get(n).kind == "per-capture" for n in wanted)
    with session(executor if per_capture else Executor(jobs=1)) as runner:
        return refresh(context, wanted, runner, progress)
