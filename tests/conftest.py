"""Shared fixtures: run the whole pipeline on a folder of captures and load what it published."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.merge.fold import seen
from pipeline.merge.pieces import merge_all
from pipeline.merge.revisions import History
from pipeline.model import Cell, Document, Page, from_json, to_json

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TABLES = ("cells", "entries", "citations", "links")


class Run:
    def __init__(self, raw: Path, work: Path, *extra: str) -> None:
        self.raw, self.interim, self.processed = raw, work / "interim", work / "processed"
        self.status = main(
            ["all", "-q", "--raw", str(raw), "--interim", str(self.interim), "--processed", str(self.processed), *extra]
        )

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.processed / f"{name}.parquet")

    @property
    def report(self) -> dict:
        return json.loads((self.processed / "report.json").read_text(encoding="utf-8"))


def run_on(raw: Path, work: Path, *extra: str) -> Run:
    return Run(raw, work, *extra)


class Merged:
    """Structured pages merged in memory as the merge stage merges them (`pieces.merge_all`), decoded."""

    def __init__(self, pages: list[Page]) -> None:
        by_name = {p.capture: p for p in pages}
        found = [s for p in pages if (s := seen(p))]
        groups, written = merge_all(found, {p.capture: p.captured_at for p in pages}, lambda: (by_name.get, None))
        self.cells = [from_json(Cell, bytes(g.result)) for g in groups if g.kind == "cell"]
        self.documents = [from_json(Document, bytes(g.result)) for g in groups if g.kind == "document"]
        self.notes = {k: v for g in groups for k, v in g.notes.items()}
        self.history = from_json(History, to_json(written))


def folder_of(tmp: Path, files: dict[str, str | bytes | Path]) -> Path:
    """A raw folder holding the given captures (text, bytes, or a file to copy)."""
    tmp.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = tmp / name
        if isinstance(content, Path):
            shutil.copy(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return tmp


@pytest.fixture(scope="session")
def seeds(tmp_path_factory) -> Run:
    return run_on(RAW, tmp_path_factory.mktemp("seeds"))


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Run:
    return run_on(FIXTURES / "site", tmp_path_factory.mktemp("site"))


def warc_response(writer, url: str, body: bytes, headers: list[tuple[str, str]], status: str, date: str) -> None:
    """Write one HTTP response record (`writer`: a warcio WARCWriter) for tests that build WARC files."""
    from warcio.statusandheaders import StatusAndHeaders

    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
    )
