"""A matrix cell page: description, entry list, "more" line, revision dates and the Matrix Bite."""

from __future__ import annotations

import re
from datetime import datetime

from pipeline.model import Block, CellPage, CleanBlock, Entry, Paragraph, Rich, Span
from pipeline.site import matrix
from pipeline.site.rules import TAG_LINE
from pipeline.structure import entries as E
from pipeline.structure.hints import hint, lowered_bytes
from pipeline.structure.identity import Identity, split_labels

_MORE = re.compile(r"^more\b[\s:]*", re.I)
_DATE = r"(\d{1,2}\s+[A-Za-z]+\s+\d{4})"
_REVISED = re.compile(rf"Last revised\s+{_DATE}", re.I)
_UPLOADED = re.compile(rf"First uploaded\s+{_DATE}", re.I)
_LEAD_INS = ("What is this cell about?", "Where should I start?", "Highlighted study", "Issues to consider and discuss")
_ISSUE_MARK = re.compile(r"^[►▶]\s*")
# Fewer words than this is a header or labels line, not a cell's description.
_PROSE_MIN_WORDS = 8


def parse_date(text: str) -> str | None:
    for fmt in ("%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(" ".join(text.split()), fmt).date().isoformat()
        except ValueError:
            continue
    return None


# Every match holds one of these, lower-cased (their letters have no case variants beyond ASCII
# capitals that re.I would also match): a block without them skips both searches, most blocks do
_REVISED_HINT, _UPLOADED_HINT = hint("t rev"), hint("t upload")


def dates(text: str) -> tuple[str | None, str | None]:
    lowered = lowered_bytes(text)
    if _REVISED_HINT not in lowered and _UPLOADED_HINT not in lowered:
        return None, None
    revised, uploaded = _REVISED.search(text), _UPLOADED.search(text)
    return (parse_date(revised.group(1)) if revised else None, parse_date(uploaded.group(1)) if uploaded else None)


def build_cell(blocks: list[CleanBlock], identity: Identity, capture: str) -> tuple[CellPage, list[str]]:
    warnings: list[str] = []
    skip = set(identity.naming)
    content = [(i, cb.block) for i, cb in enumerate(blocks) if cb.is_content and i not in skip]
    start = max(skip, default=-1)

    found, first, end = _entry_region(content, capture, warnings)
    more = None
    more_line = _MORE.match(content[end][1].text) if end < len(content) else None
    if more_line:
        more = _strip_prefix(content[end][1], more_line.end())
        end += 1
    description = _description([b for i, b in content[:first] if i > start], identity.matrix)
    column_label = identity.column_label or matrix.COLUMNS[identity.column_code]
    row_label = identity.row_label or matrix.ROWS[identity.matrix][identity.row_code]
    page = CellPage(
        matrix=identity.matrix,
        column_code=identity.column_code,
        row_code=identity.row_code,
        column_label=column_label,
        row_label=row_label,
        identity_from=identity.source,
        description=_rich(description) if description else None,
        entries=found,
        more=more,
        truncated=more is None,
        labels_printed=[
            axis for axis, label in (("column", identity.column_label), ("row", identity.row_label)) if label
        ],
    )
    bite_blocks = []
    dated: dict[int, tuple[str | None, str | None]] = {}  # each block's dates, read once
    for i, b in content[end:]:
        revised, uploaded = dated[i] = dates(b.text)
        if revised or uploaded:
            page.last_revised = page.last_revised or revised
            page.first_uploaded = page.first_uploaded or uploaded
            continue
        bite_blocks.append(i)
    if page.last_revised is None:
        for i, cb in enumerate(blocks):
            revised, uploaded = dated[i] if i in dated else dates(cb.block.text)
            page.last_revised, page.first_uploaded = revised or page.last_revised, uploaded or page.first_uploaded
    page.bite = _bite(blocks, set(bite_blocks))
    if not found:
        warnings.append("cell page with no entries")
    return page, warnings


def _description(before_entries: list[Block], matrix_name: str) -> Block | None:
    """The first prose paragraph of the page's own text before its entries; a labels line said again after the
    title, or a short header line, never is."""
    for block in before_entries:
        text = block.text.replace("\n", " ")
        if len(text.split()) >= _PROSE_MIN_WORDS and not split_labels(text, matrix_name):
            return block
    return None


def _rich(block: Block) -> Rich:
    return Rich(block.text.replace("\n", " "), list(block.spans))


def _strip_prefix(block: Block, offset: int) -> Rich:
    spans = [Span(max(s.start - offset, 0), s.end - offset, s.kind, s.href) for s in block.spans if s.end > offset]
    return Rich(block.text[offset:].replace("\n", " "), spans)


def _entry_region(content: list[tuple[int, Block]], capture: str, warnings: list[str]) -> tuple[list[Entry], int, int]:
    """Entries from the first tagged entry to the "more" line; returns (entries, first index, end index)."""
    candidates: list[E.Candidate] = []
    first = None
    pending: list[str] = []
    k = 0
    for k, (_, block) in enumerate(content):
        text = block.text
        if TAG_LINE.match(text):
            pending = E.read_tags(text + " x")[0]
            continue
        if first is not None and _MORE.match(text) and not E.read_tags(text)[0]:
            break
        if first is None and not (pending or E.read_tags(text)[0]):
            continue  # before the first entry only a tagged block can start the list
        c = E.candidate(block, pending)
        pending = []
        is_last = k == len(content) - 1
        if first is None:
            if c.tags and (c.has_reference or is_last):
                first = k
            else:
                continue
        if c.tags or c.has_reference:
            candidates.append(c)
        elif candidates and text[:1].islower():
            candidates[-1].extend(text)
        else:
            warnings.append(f"line {block.line}: dropped text inside the entry list (not an entry): {text[:80]!r}")
    else:
        k = len(content)
    if first is None:
        return [], len(content), len(content)
    found: list[Entry] = []
    for n, c in enumerate(candidates):
        last = k == len(content) and n == len(candidates) - 1
        if c.tags:
            types, inferred = _ordered(c.tags), False
        else:
            ref = c.reference
            types = E.infer_types(
                candidates[n - 1].tags if n else None,
                next((x.tags for x in candidates[n + 1 :] if x.tags), None),
                bool(ref and ref.issuer),
            )
            inferred = True
            warnings.append(
                f"line {c.block.line}: entry without a tag letter; typed {'/'.join(types)} from its neighbours"
            )
        entry = E.build_entry(c, len(found) + 1, types, inferred, last, capture)
        if entry.cut_off:
            warnings.append(f"line {c.block.line}: capture ends inside entry {len(found) + 1}")
        found.append(entry)
    return found, first, k


def _ordered(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def _bite(blocks: list[CleanBlock], wanted: set[int]) -> list[Paragraph]:
    """Bite paragraphs under their headings; text the site folds away is marked supplementary."""
    paragraphs: list[Paragraph] = []
    path: list[str] = []
    supplementary = False
    for i, cb in enumerate(blocks):
        if cb.reason == "supplementary-open":
            supplementary = True
        elif cb.reason == "supplementary-close":
            supplementary = False
        if i not in wanted:
            continue
        block = cb.block
        text = block.text.replace("\n", " ")
        if block.kind == "heading" or text in _LEAD_INS:
            path = [text]
            continue
        body = Rich(text, list(block.spans))
        lead = next((h for h in _LEAD_INS if text.startswith(h + " ")), None) if text.startswith(_LEAD_INS) else None
        if lead:
            path = [lead]
            body = _strip_prefix(block, len(lead) + 1)
        elif _ISSUE_MARK.match(text):
            heading, body = _issue_heading(block)
            path = path[:1] + [heading] if path[:1] == ["Issues to consider and discuss"] else [heading]
        paragraphs.append(Paragraph("bite", list(path), body, supplementary))
    return paragraphs


def _issue_heading(block: Block) -> tuple[str, Rich]:
    """ "► Heading? text": the heading is the bold lead-in when marked, else the first question."""
    lead = _ISSUE_MARK.match(block.text)
    mark = lead.end() if lead else 0
    strong = next((s for s in block.spans if s.kind == "strong" and s.start <= mark + 1), None)
    if strong:
        end = strong.end
    else:
        q = re.search(r"[?!]", block.text[mark : mark + 150])
        end = mark + q.end() if q else mark
    heading = block.text[mark:end].strip()
    return heading or block.text[mark:].split(". ")[0], _strip_prefix(block, end + 1 if end > mark else mark)
