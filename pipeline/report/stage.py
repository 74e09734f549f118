"""Report stage: processed/*.parquet → processed/report.html."""

from __future__ import annotations

from pathlib import Path

from pipeline.publish.schemas import data_dictionary
from pipeline.runtime.atomic import write_text_atomic
from pipeline.runtime.orchestrator import Paths


def report_stage(paths: Paths) -> Path:
    """processed/report.html from the published tables (imported here: only this stage needs pandas and
    matplotlib); charts already drawn from the same data are kept in interim/report."""
    from pipeline.report import page as datareport

    target = paths.processed / "report.html"
    charts = datareport.Charts(paths.stage("report"))
    write_text_atomic(target, datareport.render(datareport.load(paths.processed), charts))
    charts.prune()
    return target


def write_dictionary(path: Path) -> None:
    write_text_atomic(path, data_dictionary())
