"""Analysis pages: one document each – its citation, summary, key points, body sections,
revision dates and the "Top 10 most closely related documents" list.

The citation is found by its source line, whose forms the site uses throughout: a journal
(`Journal: 2015, 207, p. 5–14.`, `Substance Use and Misuse, 2014(49), p. …`, `Cochrane Database of
Systematic Reviews: 2010, 12, Art. No.: …`) or a publisher (`Uxbridge: Brunel University, 2011.`,
`[UK] National Treatment Agency for Substance Misuse, 2012.`, `University of Kent, 2016`). The authors
line sits above it and the title above that.
"""

from __future__ import annotations

import re

from pipeline.model import AnalysisPage, Block, CleanBlock, Paragraph, Related, Rich
from pipeline.site.furniture import classify_line
from pipeline.structure.cell import dates
from pipeline.structure.identity import self_named_cell

_KINDS = (
    (re.compile(r"analysis of a study|Research analysis", re.I), "study"),
    (re.compile(r"review or synthesis|Review analysis", re.I), "review"),
    (re.compile(r"analysis of a document|added to the Effectiveness Bank|(?:^|window\s*)Analysis$", re.I), "document"),
)
_YEAR = r"(?:19|20)\d\d"
_JOURNAL = re.compile(rf"^[^.]{{2,150}}?(?::\s*{_YEAR}\b|,\s*{_YEAR}\s*\(\d+\)).*\.$")
# A publisher named without a jurisdiction or place reads as an organisation: capitalised words and the small
# words between them ("University of Kent", "Centre for Public Health, Liverpool John Moores University").
_ORG_WORD = r"(?:[A-Z][\w'’&.-]*|of|for|and|the|in|on|at|&)"
_ORGANISATION = rf"[A-Z][\w'’&.-]*(?:,?\s+{_ORG_WORD})*"
# The final full stop is sometimes left out ("University of Kent, 2016").
_PUBLISHER = re.compile(
    rf"^(?:\[[^\]]+\]\s*[^:]{{2,150}}?|[A-Z][^:,.]{{1,60}}:\s*[^:]{{2,150}}?|{_ORGANISATION}),\s*{_YEAR}\.?$"
)
_RELATED_HEAD = re.compile(r"^Top \d+ most closely related documents", re.I)
_RELATED = re.compile(rf"^(?P<kind>[A-Z][A-Z ]{{2,30}}?)\s+(?P<year>{_YEAR})\s+(?P<title>\S.*)$")
_INTRO = re.compile(r"^This entry is our analysis of", re.I)
_LEAD_INS = (
    ("Summary", re.compile(r"^Summary\s+(?=\S)")),
    ("Commentary", re.compile(r"^(?:Findings logo\s+)?commentary\s+(?=\S)", re.I)),
)
_SECTION_HEADS = {
    "key points": "Key points",
    "main findings": "Main findings",
    "summary": "Summary",
    "commentary": "Commentary",
}
_LONGEST_HEAD = max(map(len, _SECTION_HEADS))
_SUBTITLE = re.compile(r"^From (?:summary and commentary|the summary|commentary)$", re.I)
_UPDATE_NOTE = re.compile(r"\b(?:checked|updated|reviewed|reaffirmed) in (?:[A-Z][a-z]+ )?\d{4}\b")
_SENTENCE_END = re.compile(r"[.!…:;][\"'”’)\]]*$")


def _is_source(text: str) -> bool:
    return len(text.split()) <= 30 and bool(_JOURNAL.match(text) or _PUBLISHER.match(text))


_HEADING_MAX_WORDS = 12  # more words than this is a paragraph, not a heading the page left unmarked


def _is_heading(block: Block, following: Block | None) -> bool:
    """A heading block, or a short capitalised line with no sentence end, followed by a longer one. Words are
    counted only as far as the test needs (`split(None, n)` has more than n pieces exactly when the text has
    more than n words): most blocks are long paragraphs."""
    text = block.text
    if block.kind == "heading":
        return True
    if following is None or not text[:1].isupper():
        return False
    words = len(text.split(None, _HEADING_MAX_WORDS))
    return (
        words <= _HEADING_MAX_WORDS
        and not _SENTENCE_END.search(text)
        and len(following.text.split(None, words)) > words
    )


def _lines(blocks: list[CleanBlock]) -> list[Block]:
    """Content as one block per line: HTML keeps a citation's authors and source in one <p> with <br>."""
    out = []
    for cb in blocks:
        if not cb.is_content:
            continue
        if "\n" not in cb.block.text:
            out.append(cb.block)
            continue
        out += [
            Block(cb.block.kind, line, [], cb.block.level, cb.block.line)
            for line in cb.block.text.split("\n")
            if classify_line(line) is None
        ]
    return out


def build_analysis(blocks: list[CleanBlock]) -> AnalysisPage:
    content = _lines(blocks)
    page = AnalysisPage(title=None, doc_kind=_kind(blocks))
    foot = len(content)
    for i, b in enumerate(content):
        revised, uploaded = dates(b.text)
        related = _RELATED_HEAD.match(b.text)
        if revised or uploaded or related:
            foot = min(foot, i)
            page.last_revised = page.last_revised or revised
            page.first_uploaded = page.first_uploaded or uploaded
        if related:
            page.related = _related(content[i + 1 :])
    page.cut_off = foot == len(content)

    source_at = next((i for i, b in enumerate(content[:20]) if _is_source(b.text)), None)
    body_from = 0
    if source_at is not None:
        page.source = content[source_at].text
        year = re.search(_YEAR, page.source)
        page.year = int(year.group()) if year else None
        if source_at >= 1 and not _INTRO.match(content[source_at - 1].text):
            page.authors = content[source_at - 1].text
        if source_at >= 2 and not _INTRO.match(content[source_at - 2].text):
            page.title = content[source_at - 2].text.rstrip(".").strip()
        body_from = source_at + 1
    titles = [b.text for b in content[: body_from or 1] if not _INTRO.match(b.text)]
    page.title = page.title or (titles[0].rstrip(".") if titles else None)
    if page.doc_kind is None and page.source:
        page.doc_kind = "study" if _JOURNAL.match(page.source) else "document"

    body = content[body_from:foot]
    if body and not any(p.match(body[0].text) for _, p in _LEAD_INS) and len(body[0].text.split()) >= 12:
        page.summary = body[0].text
        body = body[1:]
    page.sections = _sections(body)
    page.key_points = [p.body.text for p in page.sections if p.section == "Key points"]
    page.commentary = "\n\n".join(p.body.text for p in page.sections if p.section == "Commentary") or None
    return page


def _kind(blocks: list[CleanBlock]) -> str | None:
    for cb in blocks:
        text = cb.block.text if cb.is_content else cb.block.text.replace("window", "window ")
        for pattern, kind in _KINDS:
            if (cb.is_content and _INTRO.match(text) or not cb.is_content) and pattern.search(text):
                return kind
    return None


def _related(blocks: list[Block]) -> list[Related]:
    items: list[Related] = []
    for b in blocks:
        m = _RELATED.match(b.text)
        if not m:
            if items:
                break
            continue
        title = m.group("title")
        href = next((s.href for s in b.spans if s.kind == "link"), None)
        items.append(
            Related(
                kind=m.group("kind").strip().lower(),
                year=int(m.group("year")),
                title=title,
                href=href,
                target_cell_id=self_named_cell(title),
            )
        )
    return items


def _sections(body: list[Block]) -> list[Paragraph]:
    """Body paragraphs under their headings. A revision note ("… checked in July 2016 …") found among
    the key points belongs to the summary, not to the key points."""
    out: list[Paragraph] = []
    section, path = "Summary", ["Summary"]
    for i, block in enumerate(body):
        text = block.text.replace("\n", " ")
        if _SUBTITLE.match(text):
            continue
        # (lower-casing never shortens a text, and adds no colon at its end: a longer one is no head)
        head = _SECTION_HEADS.get(text.lower().rstrip(":")) if len(text.rstrip(":")) <= _LONGEST_HEAD else None
        if head:
            section, path = head, [head]
            continue
        lead = _lead_in(text)
        if lead:
            section, path = lead[0], [lead[0]]
            text = text[lead[1] :]
        elif _is_heading(block, body[i + 1] if i + 1 < len(body) else None):
            path = [section, text]
            continue
        where = "Summary" if section == "Key points" and _UPDATE_NOTE.search(text) else section
        out.append(Paragraph(where, list(path) if where == section else ["Summary"], Rich(text), False))
    return out


def _lead_in(text: str) -> tuple[str, int] | None:
    """The section a paragraph's own lead-in word opens ("Summary …", "Commentary …"), and where its text starts."""
    for name, pattern in _LEAD_INS:
        m = pattern.match(text)
        if m:
            return name, m.end()
    return None
