"""The run report: one record per capture (what it was, what was found, what was removed, what went
wrong) and a summary. Deterministic: no clocks, sorted keys, so reruns give the same file."""

from __future__ import annotations

import re
from collections import Counter

from pipeline.model import Cell, Document, Page
from pipeline.publish.captures import status
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


def build(
    described: list[dict],
    cells: list[Cell],
    documents: list[Document],
    tables: dict[str, list[dict]],
    notes: dict[str, list[str]],
) -> dict:
    published = {src for cell in cells for src in cell.sources} | {src for d in documents for src in d.sources}
    captures = sorted(described, key=lambda c: c["file"])
    for c in captures:  # each record is given its status and notes in place: no second copy per capture
        mine = notes.get(c["file"], [])
        c["status"], c["notes"] = status(c, mine, published)[0], mine
    return {
        "captures": captures,
        "quarantined": [{"file": c["file"], "errors": c["errors"]} for c in captures if c["status"] == "quarantined"],
        "totals": {
            "captures": len(captures),
            "kinds": dict(sorted(Counter(c["kind"] for c in captures).items())),
            "rows": {name: len(rows) for name, rows in tables.items()},
        },
    }


LISTED = 40  # more captures than this: the summary lists only those not published, and counts the rest


def summary(run: dict) -> str:
    lines = [f"{'capture':<44} {'format':<9} {'kind':<9} {'cell':<11} {'entries':>7} {'furniture':>9}  status"]
    listed = run["captures"]
    if len(listed) > LISTED:
        listed = [c for c in listed if c["status"] != "published"][:LISTED]
        counts = Counter(c["status"] for c in run["captures"])
        lines.insert(
            0,
            f"{len(run['captures'])} captures: "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            + (f"; those not published (first {LISTED}):" if listed else ""),
        )
    for c in listed:
        lines.append(
            f"{printable(c['file'])[:44]:<44} {c['format']:<9} {c['kind']:<9} {c['cell_id'] or '-':<11} "
            f"{c['entries_found']:>7} {c['furniture_removed']:>9}  {c['status']}"
        )
        for problem in c["errors"]:
            lines.append(f"    error: {printable(problem)}")
    rows = ", ".join(f"{n} {name}" for name, n in sorted(run["totals"]["rows"].items()))
    lines.append(f"published: {rows}; quarantined: {len(run['quarantined'])}")
    return "\n".join(lines)


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


def quarantine_lines(run: dict) -> list[str]:
    """One line per quarantined capture: file, stage, what was wrong, what to do."""
    lines = []
    for q in run["quarantined"]:
        for error in q["errors"]:
            stage, _, what = (
                error.partition(": ") if error.split(":")[0] in registry.BY_NAME else ("structure", "", error)
            )
            advice = next((a for key, a in _ADVICE if key in error), "see the report for details")
            lines.append(f"quarantined: {printable(q['file'])} [{stage}] {printable(what)} — {advice}")
    return lines
