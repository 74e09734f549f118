"""The pipeline's text against trafilatura's on the same HTML pages, scored against what the synthetic
pages are known to hold; and the HTML parsers the pipeline could be built on, timed on the same pages."""

from __future__ import annotations

import time
import warnings

from bench.synth import Page
from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.structure import structure


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def score(page: Page, extracted: str) -> tuple[float, float]:
    """(share of chrome pieces still in the text, share of content characters kept)."""
    text = _norm(extracted)
    content = _norm(" ".join(page.content))
    chrome = [c for c in {_norm(c) for c in page.chrome} if c not in content]  # only chrome that is not also prose
    surviving = sum(c in text for c in chrome) / len(chrome) if chrome else 0.0
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


def compare_extractors(pages: list[Page]) -> dict:
    extractors = {
        "findings-pipeline (text)": _pipeline_text,
        "findings-pipeline (tables)": _pipeline_tables,
        "trafilatura": _trafilatura(False),
        "trafilatura (precision)": _trafilatura(True),
    }
    results = {}
    for name, extract in extractors.items():
        extract(pages[0])  # warm up imports and caches
        start = time.perf_counter()
        texts = [extract(p) for p in pages]
        seconds = time.perf_counter() - start
        scores = [score(p, t) for p, t in zip(pages, texts)]
        results[name] = {
            "captures": len(pages),
            "ms_per_capture": round(1000 * seconds / len(pages), 3),
            "input_mb_per_s": round(sum(len(p.data) for p in pages) / 2**20 / seconds, 2),
            "chrome_surviving": round(sum(s for s, _ in scores) / len(scores), 4),
            "content_kept": round(sum(k for _, k in scores) / len(scores), 4),
        }
    for kind in ("text", "tables"):
        results[f"speed_ratio_vs_trafilatura_{kind}"] = round(
            results["trafilatura"]["ms_per_capture"] / results[f"findings-pipeline ({kind})"]["ms_per_capture"], 2
        )
    return results


def compare_parsers(pages: list[Page]) -> dict[str, float]:
    """Milliseconds per page to parse and walk every text node, per parser."""
    from bs4 import BeautifulSoup
    from lxml import html as lxml_html
    from selectolax.lexbor import LexborHTMLParser

    def bs4(features: str):
        def parse(data: bytes) -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return len(BeautifulSoup(data, features).get_text(" "))

        return parse

    parsers = {
        "lxml.html (used)": lambda d: len(lxml_html.document_fromstring(d).text_content()),
        "selectolax (lexbor)": lambda d: len(LexborHTMLParser(d).text(separator=" ") or ""),
        "bs4 + lxml": bs4("lxml"),
        "bs4 + html.parser": bs4("html.parser"),
    }
    out = {}
    for name, parse in parsers.items():
        start = time.perf_counter()
        for p in pages:
            parse(p.data)
        out[name] = round(1000 * (time.perf_counter() - start) / len(pages), 3)
    return out
