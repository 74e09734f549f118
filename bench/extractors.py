"""The pipeline against other extractors on the same HTML pages, side by side in one run: trafilatura,
resiliparse and selectolax, scored against what the synthetic pages are known to hold, and the floor
(read and parse only: what any lxml-based reader must spend). Also the HTML parsers the pipeline could
be built on, timed on the same pages."""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable

from bench.synth import Page
from pipeline.clean.passes import clean
from pipeline.extract.decode import decode
from pipeline.extract.read import read_capture
from pipeline.structure import structure

# Each extractor's time is the CPU time of its best round (all are single-threaded, so this is its wall
# time on an idle core); rounds interleave the extractors, so a busy machine slows them alike.
ROUNDS = 3


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def score(page: Page, extracted: str) -> tuple[float, float]:
    """(share of furniture pieces still in the text, share of content characters kept)."""
    text = _norm(extracted)
    content = _norm(" ".join(page.content))
    furniture = [
        c for c in {_norm(c) for c in page.furniture} if c not in content
    ]  # only furniture that is not also prose
    surviving = sum(c in text for c in furniture) / len(furniture) if furniture else 0.0
    total = sum(len(b) for b in page.content)
    kept = sum(len(b) for b in page.content if _norm(b) in text) / total if total else 1.0
    return surviving, kept


def _pipeline_text(page: Page) -> str:
    """What the pipeline keeps of a page as text: read and clean, the like-for-like with trafilatura."""
    return "\n".join(b.text for b in clean(read_capture(page.name, page.data)).content())


def _pipeline_tables(page: Page) -> str:
    """The whole per-capture work: the same text, then the page read into cells, entries and references."""
    cleaned = clean(read_capture(page.name, page.data))
    structure(cleaned)
    return "\n".join(b.text for b in cleaned.content())


def _trafilatura(precision: bool):
    import trafilatura

    def extract(page: Page) -> str:
        return (
            trafilatura.extract(
                page.data.decode("utf-8"),
                include_comments=False,
                include_tables=True,
                favor_precision=precision,
                deduplicate=False,
            )
            or ""
        )

    return extract


def _resiliparse(page: Page) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    return extract_plain_text(HTMLTree.parse_from_bytes(page.data, "utf-8"), main_content=True)


def _selectolax(page: Page) -> str:
    """All of the body's text (selectolax has no main-content extraction): the fast parser's own floor."""
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(page.data).body
    return body.text(separator="\n") if body is not None else ""


def _floor(page: Page) -> str:
    """Read and parse only, as the pipeline's HTML reader starts: hash, decode, parse with lxml."""
    from lxml import html as lxml_html

    hashlib.sha256(page.data).hexdigest()
    lxml_html.document_fromstring(decode(page.data)[0])
    return ""


EXTRACTORS: dict[str, Callable[[Page], str]] = {
    "findings-pipeline (text)": _pipeline_text,
    "findings-pipeline (tables)": _pipeline_tables,
    "floor: read + parse": _floor,
    "trafilatura": _trafilatura(False),
    "trafilatura (precision)": _trafilatura(True),
    "resiliparse": _resiliparse,
    "selectolax (all text)": _selectolax,
}


def compare_extractors(pages: list[Page]) -> dict:
    best = dict.fromkeys(EXTRACTORS, float("inf"))
    texts: dict[str, list[str]] = {}
    for extract in EXTRACTORS.values():
        extract(pages[0])  # warm up imports and caches
    for _ in range(ROUNDS):
        for name, extract in EXTRACTORS.items():
            start = time.process_time()
            texts[name] = [extract(p) for p in pages]
            best[name] = min(best[name], time.process_time() - start)
    results: dict = {}
    pipeline_s = best["findings-pipeline (tables)"]
    for name, seconds in best.items():
        scores = [score(p, t) for p, t in zip(pages, texts[name])]
        results[name] = {
            "captures": len(pages),
            "ms_per_capture": round(1000 * seconds / len(pages), 3),
            "input_mb_per_s": round(sum(len(p.data) for p in pages) / 2**20 / seconds, 2),
            "time_vs_pipeline_tables": round(seconds / pipeline_s, 3),
            "furniture_surviving": None
            if name.startswith("floor")
            else round(sum(s for s, _ in scores) / len(scores), 4),
            "content_kept": None if name.startswith("floor") else round(sum(k for _, k in scores) / len(scores), 4),
        }
    for kind in ("text", "tables"):
        results[f"speed_ratio_vs_trafilatura_{kind}"] = round(
            results["trafilatura"]["ms_per_capture"] / results[f"findings-pipeline ({kind})"]["ms_per_capture"], 2
        )
        results[f"pipeline_{kind}_vs_floor"] = round(
            results[f"findings-pipeline ({kind})"]["ms_per_capture"] / results["floor: read + parse"]["ms_per_capture"],
            2,
        )
    return results


def compare_parsers(pages: list[Page]) -> dict[str, float]:
    """CPU milliseconds per page to parse and walk every text node, per parser (best round)."""
    from bs4 import BeautifulSoup
    from lxml import html as lxml_html
    from resiliparse.parse.html import HTMLTree
    from selectolax.lexbor import LexborHTMLParser

    def bs4(features: str):
        def parse(data: bytes) -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return len(BeautifulSoup(data, features).get_text(" "))

        return parse

    parsers = {
        "lxml.html from str (used)": lambda d: len(lxml_html.document_fromstring(d.decode("utf-8")).text_content()),
        "lxml.html from bytes": lambda d: len(lxml_html.document_fromstring(d).text_content()),
        "resiliparse (lexbor)": lambda d: len(HTMLTree.parse_from_bytes(d, "utf-8").body.text),
        "selectolax (lexbor)": lambda d: len(LexborHTMLParser(d).text(separator=" ") or ""),
        "bs4 + lxml": bs4("lxml"),
        "bs4 + html.parser": bs4("html.parser"),
    }
    best = dict.fromkeys(parsers, float("inf"))
    for _ in range(ROUNDS):
        for name, parse in parsers.items():
            start = time.process_time()
            for p in pages:
                parse(p.data)
            best[name] = min(best[name], time.process_time() - start)
    return {name: round(1000 * seconds / len(pages), 3) for name, seconds in best.items()}
