"""The run report: one record per capture (what it was, what was found, what was removed, what went
wrong) and a summary. Deterministic: no clocks, sorted keys, so reruns give the same file."""

from __future__ import annotations

import re
from collections import Counter

import msgspec

from pipeline.model import Page
from pipeline.runtime import registry


def describe(page: Page) -> dict:
    """What the report says of one capture, taken while merging so the report never reloads pages."""
    return {
        "file": page.capture,
        "sha256": page.sha256,
        "url": page.url,
        "captured_at": page.captured_at,
        "format": page.format,
        "kind": page.kind,
        "cell_id": page.cell.cell_id if page.cell else None,
        "entries_found": len(page.cell.entries) if page.cell else 0,
        "title": page.analysis.title if page.analysis else None,
        "furniture_removed": page.furniture_removed,
        "removed": page.removed,
        "warnings": page.warnings,
        "errors": page.errors,
    }


class Described(msgspec.Struct, forbid_unknown_fields=True):
    """A capture's record: as `describe` makes it (merge copies it into captures.json), and in
    report.json with the status and notes publish gives it. Typed, so that a batch of them decodes
    and encodes in a fraction of the time plain dicts take (a test checks the fields are describe's)."""

    file: str
    sha256: str
    url: str | None
    captured_at: str | None
    format: str
    kind: str
    cell_id: str | None
    entries_found: int
    title: str | None
    furniture_removed: int
    removed: dict[str, int]
    warnings: list[str]
    errors: list[str]
    status: str = ""
    notes: list[str] = []


LISTED = 40  # more captures than this: the summary lists only those not published, and counts the rest
WARNINGS_SHOWN = 5  # the end-of-run summary counts warnings and shows the first few


class Tally:
    """What the run report says besides each capture's record, counted as the records go by (in name
    order, each with its status), so that no record need outlive its batch: the totals, the quarantined,
    the few captures and warnings the end of the run shows, and what report.html states."""

    def __init__(self) -> None:
        self.count = 0
        self.kinds: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.furniture_removed = 0
        self.quarantined: list[dict] = []
        self.first: list[Described] = []  # the first LISTED + 1 captures: all of them are listed when that few
        self.unpublished: list[Described] = []  # the first LISTED captures not published
        self.warnings: list[tuple[str, str]] = []  # the first WARNINGS_SHOWN (capture, warning)
        self.warning_count = 0
        self.warned = 0  # captures with a warning

    def add(self, c: Described) -> None:
        self.count += 1
        self.kinds[c.kind] += 1
        self.statuses[c.status] += 1
        self.furniture_removed += c.furniture_removed
        if c.status == "quarantined":
            self.quarantined.append({"file": c.file, "errors": c.errors})
        if len(self.first) <= LISTED:
            self.first.append(c)
        if c.status != "published" and len(self.unpublished) < LISTED:
            self.unpublished.append(c)
        if c.warnings:
            self.warned += 1
            self.warning_count += len(c.warnings)
            self.warnings += [(c.file, w) for w in c.warnings[: WARNINGS_SHOWN - len(self.warnings)]]

    def totals(self, rows: dict[str, int]) -> dict:
        return {"captures": self.count, "kinds": dict(sorted(self.kinds.items())), "rows": rows}


def summary(tally: Tally, rows: dict[str, int]) -> str:
    lines = [f"{'capture':<44} {'format':<9} {'kind':<9} {'cell':<11} {'entries':>7} {'furniture':>9}  status"]
    listed = tally.first
    if tally.count > LISTED:
        listed = tally.unpublished
        lines.insert(
            0,
            f"{tally.count} captures: "
            + ", ".join(f"{n} {s}" for s, n in sorted(tally.statuses.items()))
            + (f"; those not published (first {LISTED}):" if listed else ""),
        )
    for c in listed:
        lines.append(
            f"{printable(c.file)[:44]:<44} {c.format:<9} {c.kind:<9} {c.cell_id or '-':<11} "
            f"{c.entries_found:>7} {c.furniture_removed:>9}  {c.status}"
        )
        for problem in c.errors:
            lines.append(f"    error: {printable(problem)}")
    counted = ", ".join(f"{n} {name}" for name, n in sorted(rows.items()))
    lines.append(f"published: {counted}; quarantined: {len(tally.quarantined)}")
    return "\n".join(lines)


def warning_lines(tally: Tally) -> list[str]:
    """A count of the run's warnings, with the first few, so they are seen and not only kept in report.json."""
    if not tally.warning_count:
        return []
    lines = [f"{tally.warning_count} warning(s) in {tally.warned} capture(s); the first {WARNINGS_SHOWN}:"]
    lines += [f"  warning: {file}: {text}" for file, text in tally.warnings]
    if tally.warning_count > WARNINGS_SHOWN:
        lines.append("  (all of them: processed/report.json, under each capture's warnings)")
    return lines


_ADVICE = (  # the first key found in an error gives the advice
    ("never says which cell", "add its URL to manifest.csv"),
    ("no content", "check the capture is a page of the Effectiveness Bank and not empty"),
    ("not valid UTF-8", "rename the file (e.g. with convmv)"),
    ("which does not exist", "remove the link or restore its target"),
    ("leads back to itself", "remove the link"),
    ("outside the capture folder", "copy the file into the capture folder if it is a capture"),
    ("a folder, not a capture", "captures in sub-folders are not read: move them into the capture folder"),
    ("not a capture", "remove it from the capture folder"),
    ("cannot be read (", "check the file's permissions and the disk"),
    ("different URLs", "keep only the row of the page it is in raw/manifest.csv"),
    ("no `file` column", "name the columns in the first line of raw/manifest.csv, e.g. file,url,captured_at"),
    ("manifest.csv line", "fix or remove that row of raw/manifest.csv"),
    ("cut short", "fetch or copy the file again; the records before the damage were read"),
    ("Content-Length does not match", "fetch or copy the file again; the records before the damage were read"),
    ("cannot read the WARC file", "fetch or copy the file again; the records before the damage were read"),
    ("inflates to more than", "remove it: a decompression bomb, or raise --max-bytes if it is genuine"),
    ("the rest of the page cannot be read", "save the page again; its HTML cannot be read to the end"),
    ("blocks, over the limit", "remove it from the capture folder"),
    ("cannot read", "check the file is a text, Markdown, HTML or WARC capture"),
    ("over the limit", "raise --max-bytes if the capture is genuine"),
    ("binary file", "remove it from the capture folder"),
    ("not a page of the Effectiveness Bank", "remove it from the capture folder"),
)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text from a capture (its file name, a link's target) as one line on a terminal: control
    characters, line separators and bidirectional overrides escaped, so a name holding a newline
    cannot forge a line of the summary."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def quarantine_lines(quarantined: list[dict]) -> list[str]:
    """One line per quarantined capture: file, stage, what was wrong, what to do."""
    lines = []
    for q in quarantined:
        for error in q["errors"]:
            stage, _, what = (
                error.partition(": ") if error.split(":")[0] in registry.BY_NAME else ("structure", "", error)
            )
            advice = next((a for key, a in _ADVICE if key in error), "see the report for details")
            lines.append(f"quarantined: {printable(q['file'])} [{stage}] {printable(what)} — {advice}")
    return lines
