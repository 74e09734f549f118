"""A synthetic corpus built from the captures in raw/, with known structure.

Each synthetic page is one seed page's content (its blocks as the pipeline reads them, furniture
already removed) rendered as a text copy, a Markdown conversion or an HTML page, with site furniture
added where real captures have it: the sidebar spliced between paragraphs (whole, or cut at a fixed
width as in PDF-like conversions), a menu, a footer. The furniture is drawn from the site's sidebar
vocabulary as SITE.md records it, not from the pipeline's own list, and every page records exactly
which content and which furniture it holds, so an extractor's output can be scored against it.
A cell page is renamed, in turn, as each of the 50 cells (its self-naming line and labels rewritten),
and an analysis page as one of 50 documents (its title numbered), so a corpus spreads over the site
as the real one does rather than piling every copy onto the seeds' few pages, which would make merge
fold thousands of captures of one cell.
Deterministic: the same seed captures and `seed` give the same bytes.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.extract.sources import capture_files
from pipeline.site import matrix
from pipeline.structure import structure

FUNDING = ["2020/21 update funded by", "2019/20 update funded by", "Funded by"]
SPONSORS = [
    "Alcohol Change UK",
    "Previously also funded by",
    "Development also funded by",
    "Society for the Study of Addiction",
    "Developed with",
    "Skills Consortium web site. Opens new window",
]
NAVIGATION = [
    "Alcohol Treatment Matrix",
    "Effectiveness Bank Alcohol Treatment Matrix",
    "Includes brief interventions",
    "Drug Treatment Matrix",
    "Effectiveness Bank Drug Treatment Matrix",
    "Includes harm reduction",
    "About the matrices",
    "Effectiveness Bank matrices",
    "Articles, slides, and video",
]
CONTACT = [
    "Comment/query",
    "Send email for updates",
    "About updates",
    "Federation of Drug and Alcohol Professionals web site. Opens a new window",
]
CUT = ["Alcohol Treat", "Society for the S", "Articles, and vid", "Send email fo", "Effectiveness Bank Drug Tre"]
MENU = ["Effectiveness Bank home", "Hot topics", "Search the Effectiveness Bank", "About the Effectiveness Bank"]
FOOTER = ["Drug and Alcohol Findings Effectiveness Bank", "Copy title and link | Comment/query | Tweet"]
FORMATS = ("text", "markdown", "html")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+\-.!|()~])")
_MATRIX_WORD = {"alcohol": "Alcohol", "drug": "Drug"}


@dataclass(frozen=True)
class Seed:
    name: str
    blocks: tuple[tuple[str, str, int], ...]  # (kind, text, level) of each content block
    cell: tuple[str, str, str, str] | None = None  # a cell page's (matrix, code, column label, row label)
    title: str | None = None  # an analysis page's title


@dataclass(frozen=True)
class Page:
    name: str
    format: str
    data: bytes
    content: tuple[str, ...]  # the seed's content blocks, all present on the page
    furniture: tuple[str, ...]  # every piece of furniture added


def seeds(raw: Path) -> list[Seed]:
    """The content of each seed capture, read and cleaned by the pipeline once."""
    found = []
    for path in capture_files(raw):
        cleaned = clean(read_capture(path.name, path.read_bytes()))
        blocks = tuple((b.kind, b.text.replace("\n", " "), b.level) for b in cleaned.content())
        structured = structure(cleaned)
        cell, title = structured.cell, structured.analysis.title if structured.analysis else None
        named = (cell.matrix, f"{cell.column_code}{cell.row_code}", cell.column_label, cell.row_label) if cell else None
        if blocks:
            found.append(Seed(path.stem, blocks, named if named and all(named) else None, title))  # type: ignore[arg-type]
    return found


def renamed(seed: Seed, number: int) -> Seed:
    """The seed as the `number`-th of the 50 cells (a cell page) or of 50 documents (an analysis page)."""
    if seed.cell:
        return as_cell(seed, matrix.ALL_CELLS[number % len(matrix.ALL_CELLS)])
    if seed.title:
        title = f"{seed.title} ({number % len(matrix.ALL_CELLS) + 1})"
        blocks = tuple(
            (k, title + text[len(seed.title) :] if text.startswith(seed.title) else text, level)
            for k, text, level in seed.blocks
        )
        return Seed(seed.name, blocks, None, title)
    return seed


def as_cell(seed: Seed, cell_id: str) -> Seed:
    """The seed's cell page renamed as `cell_id`: its self-naming lines ("Alcohol Treatment Matrix cell
    E4: Treatment systems; Psychosocial therapies", or the heading and a labels line) and the matrix it
    says it is one of name the new cell; every other line is kept."""
    if seed.cell is None:
        return seed
    name, code, column, row = seed.cell
    new_name, new_code = cell_id.split("-")
    new_column, new_row = matrix.COLUMNS[new_code[0]], matrix.ROWS[new_name][int(new_code[1])]
    word, new_word = _MATRIX_WORD[name], _MATRIX_WORD[new_name]
    self_name = re.compile(rf"^{word}s?((?: Treatment)? Matrix cell ){code}\b")
    labels = f"{column}; {row}"

    def renamed(text: str) -> str:
        text = self_name.sub(rf"{new_word}\g<1>{new_code}", text).replace(labels, f"{new_column}; {new_row}")
        return text.replace(f"cells in the {word} Treatment Matrix", f"cells in the {new_word} Treatment Matrix")

    blocks = tuple((kind, renamed(text), level) for kind, text, level in seed.blocks)
    return Seed(seed.name, blocks, (new_name, new_code, new_column, new_row))


def _sidebar(rng: random.Random) -> list[str]:
    """One sidebar as a real page varies it: funding line, some sponsors, some navigation, contact lines."""
    lines = [rng.choice(FUNDING), *rng.sample(SPONSORS, rng.randint(2, 4)), *rng.sample(NAVIGATION, rng.randint(3, 6))]
    return lines + rng.sample(CONTACT, rng.randint(0, 2))


def page(seed: Seed, number: int, fmt: str, rng: random.Random) -> Page:
    blocks = list(seed.blocks)
    sidebar = _sidebar(rng)
    cuts = rng.sample(CUT, rng.randint(0, 3))
    at = rng.randint(1, len(blocks))  # the sidebar lands between two paragraphs
    cut_at = sorted(rng.randint(1, len(blocks)) for _ in cuts)
    name = f"{number:06d}_{seed.name}"
    if fmt == "html":
        data = _html(blocks, sidebar, at, cuts, cut_at, in_landmark=rng.random() < 0.5)
        furniture = MENU + sidebar + cuts + FOOTER
    elif fmt == "markdown":
        data = _markdown(blocks, sidebar, at, cuts, cut_at)
        furniture = sidebar + cuts
    else:
        data = _text(blocks, sidebar, at, cuts, cut_at)
        furniture = sidebar + cuts
    suffix = {"text": ".txt", "markdown": ".md", "html": ".html"}[fmt]
    return Page(name + suffix, fmt, data, tuple(text for _, text, _ in blocks), tuple(furniture))


def _interleave(blocks: list, sidebar: list, at: int, cuts: list[str], cut_at: list[int]) -> list:
    """Content blocks with the sidebar (one item) and each cut piece (one item each) spliced in."""
    out = []
    for i, block in enumerate(blocks + [None]):
        if i == at:
            out.append(("sidebar", sidebar))
        out.extend(("cut", c) for c, where in zip(cuts, cut_at) if where == i)
        if block is not None:
            out.append(("content", block))
    return out


def _text(blocks, sidebar, at, cuts, cut_at) -> bytes:
    lines = []
    for kind, item in _interleave(blocks, sidebar, at, cuts, cut_at):
        lines.extend(item if kind == "sidebar" else [item] if kind == "cut" else [item[1]])
    return "\n".join(lines).encode("utf-8")


def _markdown(blocks, sidebar, at, cuts, cut_at) -> bytes:
    parts = []
    for kind, item in _interleave(blocks, sidebar, at, cuts, cut_at):
        if kind == "sidebar":
            parts.extend(f"[{line}](#)" if i % 2 else f"**{line}**" for i, line in enumerate(item))
        elif kind == "cut":
            parts.append(item)
        else:
            block_kind, text, level = item
            escaped = _MD_SPECIAL.sub(r"\\\1", text)
            parts.append(
                f"{'#' * max(level, 1)} {escaped}"
                if block_kind == "heading"
                else f"- {escaped}"
                if block_kind == "list_item"
                else escaped
            )
    return "\n\n".join(parts).encode("utf-8")


def _html(blocks, sidebar, at, cuts, cut_at, in_landmark: bool) -> bytes:
    e = html.escape
    body = []
    for kind, item in _interleave(blocks, sidebar, at, cuts, cut_at):
        if kind == "sidebar":
            inner = "".join(f'<p><a href="#">{e(line)}</a></p>' for line in item)
            body.append(f'<div class="sidebar">{inner}</div>' if in_landmark else inner)
        elif kind == "cut":
            body.append(f"<p>{e(item)}</p>")
        else:
            block_kind, text, level = item
            tag = f"h{min(max(level, 1), 6)}" if block_kind == "heading" else "li" if block_kind == "list_item" else "p"
            body.append(f"<ul><li>{e(text)}</li></ul>" if tag == "li" else f"<{tag}>{e(text)}</{tag}>")
    title = e(blocks[0][1]) if blocks else ""
    menu = "".join(f'<li><a href="/{i}">{e(m)}</a></li>' for i, m in enumerate(MENU))
    footer = "".join(f"<p>{e(f)}</p>" for f in FOOTER)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f'<nav><ul>{menu}</ul></nav><div id="content">{"".join(body)}</div><footer>{footer}</footer>'
        "</body></html>"
    ).encode()


def corpus(seed_pages: list[Seed], size: int, seed: int = 2026, formats: tuple[str, ...] = FORMATS) -> list[Page]:
    """`size` pages cycling through seeds, formats and the 50 cells or documents (`renamed`), furniture
    varied by a seeded generator."""
    rng = random.Random(seed)
    rounds = len(seed_pages) * len(formats)  # each seed in each format, then the next cell
    return [
        page(
            renamed(seed_pages[i % len(seed_pages)], i // rounds),
            i,
            formats[(i // len(seed_pages)) % len(formats)],
            rng,
        )
        for i in range(size)
    ]


def write(pages: list[Page], folder: Path) -> int:
    """Write the pages into an empty folder; the number of bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in pages:
        (folder / p.name).write_bytes(p.data)
    return sum(len(p.data) for p in pages)
