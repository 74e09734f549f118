"""The run report: one record per capture (what it was, what was found, what was removed, what went
wrong) and a summary. Deterministic: no clocks, sorted keys, so reruns give the same file."""

from __future__ import annotations

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
        "chrome_removed": page.chrome_removed,
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
    captures = []
    for c in sorted(described, key=lambda c: c["file"]):
        mine = notes.get(c["file"], [])
        captures.append({**c, "status": status(c, mine, published)[0], "notes": mine})
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
    lines = [f"{'capture':<44} {'format':<9} {'kind':<9} {'cell':<11} {'entries':>7} {'chrome':>6}  status"]
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
            f"{c['file'][:44]:<44} {c['format']:<9} {c['kind']:<9} {c['cell_id'] or '-':<11} "
            f"{c['entries_found']:>7} {c['chrome_removed']:>6}  {c['status']}"
        )
        for problem in c["errors"]:
            lines.append(f"    error: {problem}")
    rows = ", ".join(f"{n} {name}" for name, n in sorted(run["totals"]["rows"].items()))
    lines.append(f"published: {rows}; quarantined: {len(run['quarantined'])}")
    return "\n".join(lines)


_ADVICE = (
    ("never says which cell", "add its URL to manifest.csv"),
    ("no content", "check the capture is a page of the Effectiveness Bank and not empty"),
    ("cannot read", "check the file is a text, Markdown, HTML or WARC capture"),
    ("over the limit", "raise --max-bytes if the capture is genuine"),
    ("binary file", "remove it from the capture folder"),
    ("not a page of the Effectiveness Bank", "remove it from the capture folder"),
)


def quarantine_lines(run: dict) -> list[str]:
    """One line per quarantined capture: file, stage, what was wrong, what to do."""
    lines = []
    for q in run["quarantined"]:
        for error in q["errors"]:
            stage, _, what = (
                error.partition(": ") if error.split(":")[0] in registry.BY_NAME else ("structure", "", error)
            )
            advice = next((a for key, a in _ADVICE if key in error), "see the report for details")
            lines.append(f"quarantined: {q['file']} [{stage}] {what} — {advice}")
    return lines
