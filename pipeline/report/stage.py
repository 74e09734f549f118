"""Report stage: processed/*.parquet → processed/report.html, drawn again from the published tables.

Publish already writes report.html with the set it publishes; this redraws it (after a change to the
report's code, say), replacing the file in one rename so it is never missing."""

from __future__ import annotations

import logging

from pipeline.runtime.atomic import write_text_atomic
from pipeline.runtime.context import Context

log = logging.getLogger("pipeline")


def report_stage(context: Context) -> int:
    from pipeline.report import page

    target = context.processed / "report.html"
    charts = page.Charts(context.stage_folder("report"))
    write_text_atomic(target, page.render(page.load(context.processed), charts))
    charts.prune()
    log.info("wrote %s", target)
    return 0
