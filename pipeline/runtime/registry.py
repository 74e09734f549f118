"""The stages, declared once. The CLI's commands, the orchestrator's order, the report's stage names, the
Makefile's targets (checked by a test) and each stage's code fingerprint all follow this table.

Consecutive per-capture stages, each reading the one before it, form a chain (`chains`): a run of
them takes one pass per capture, in one worker, the records handed from stage to stage in memory;
each still writes its own output and keeps its own index, so incrementality stays per stage.

Functions are named as "module:function" strings and imported only when a stage runs, so the runtime
never imports a stage and a process imports only the stages it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["per-capture", "whole-set"]


@dataclass(frozen=True)
class Stage:
    name: str
    kind: Kind
    reads: str  # "raw", or the stage whose output this one reads
    writes: str  # where its output goes, relative to the interim or processed folder
    target: str  # the Makefile target that runs it
    help: str
    # "module:function": reading raw/, "(task) -> [(name, record)]"; reading a stage, "(record) -> record";
    # whole-set, "(context) -> status"
    run: str
    # per-capture stages that read raw/: "(context, only=None) -> {unit: (key, Task)}", every unit or those in `only`
    units: str | None = None
    # with units: "(context) -> Stamps" (runtime/stamps.py), each unit's status, changing whenever its result can
    state: str | None = None
    input: str | None = None  # per-capture stages that read a stage: the record type their run takes
    # per-capture: "(input record, or None for a stage reading raw/; name, message) -> [(name, record)]":
    # the quarantined output of work that raised (the runtime catches it) or whose worker died
    failed: str | None = None
    facts: str | None = None  # per-capture: "(record) -> dict", what the index keeps of each output

    def function(self, attribute: str = "run") -> Callable[..., Any]:
        return resolve(getattr(self, attribute))

    @property
    def modules(self) -> tuple[str, ...]:
        """The modules its code starts from; the fingerprint covers everything they import."""
        named = (self.run, self.units, self.state, self.facts, self.input, self.failed)
        return tuple(sorted({n.partition(":")[0] for n in named if n}))


# fmt: off
STAGES: tuple[Stage, ...] = (
    #     name         kind           reads        writes                   Makefile target; help; code
    Stage("extract",   "per-capture", "raw",       "interim/extract",       "extract",
          "read every capture in RAW into blocks (interim/extract)",
          run="pipeline.extract.stage:extract", units="pipeline.extract.stage:units",
          state="pipeline.extract.stage:state", failed="pipeline.extract.stage:failed"),
    Stage("clean",     "per-capture", "extract",   "interim/clean",         "clean-stage",
          "mark site furniture, pull quotes and chart labels; rejoin split paragraphs (interim/clean)",
          run="pipeline.clean.passes:clean", input="pipeline.model:Capture", failed="pipeline.clean.stage:failed"),
    Stage("structure", "per-capture", "clean",     "interim/structure",     "structure",
          "recognise each page and read its cell, entries, references and bite (interim/structure)",
          run="pipeline.structure:structure", input="pipeline.model:CleanCapture",
          failed="pipeline.structure.stage:failed", facts="pipeline.merge.facts:facts"),
    Stage("merge",     "whole-set",   "structure", "interim/merge",         "merge",
          "combine the captures of each cell and document (interim/merge)",
          run="pipeline.merge.stage:merge_stage"),
    Stage("publish",   "whole-set",   "merge",     "processed",             "publish",
          "validate and write the Parquet tables, report.json, datapackage.json and report.html, "
          "all swapped into place at once (processed)",
          run="pipeline.publish.stage:publish_stage"),
    Stage("report",    "whole-set",   "publish",   "processed/report.html", "report",
          "draw processed/report.html again from the published tables (publish already writes it)",
          run="pipeline.report.stage:report_stage"),
)
# fmt: on
BY_NAME = {stage.name: stage for stage in STAGES}
REFRESH = ("extract", "clean", "structure", "merge", "publish")  # what `all` runs; publish draws the report


def resolve(named: str) -> Any:
    module, _, name = named.partition(":")
    return getattr(importlib.import_module(module), name)


def get(name: str) -> Stage:
    return BY_NAME[name]


def per_capture() -> tuple[Stage, ...]:
    return tuple(s for s in STAGES if s.kind == "per-capture")


def chains(names: tuple[str, ...] | list[str]) -> list[tuple[Stage, ...]]:
    """The named stages in order, grouped: consecutive per-capture stages each reading the previous one
    run as one chain; any other stage is a group of its own."""
    groups: list[tuple[Stage, ...]] = []
    for stage in (s for s in STAGES if s.name in set(names)):
        last = groups[-1] if groups else ()
        if stage.kind == "per-capture" and last and last[-1].kind == "per-capture" and stage.reads == last[-1].name:
            groups[-1] = (*last, stage)
        else:
            groups.append((stage,))
    return groups
