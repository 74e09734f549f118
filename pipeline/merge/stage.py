"""Merge stage: interim/structure (+ its index's facts) → interim/merge/{cells,documents,axes,notes,captures}.json."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from pipeline.model import Axis, Cell, Document, Page, cell_id, from_json, to_json_bytes, to_pretty_json
from pipeline.runtime import incremental, parts
from pipeline.runtime.atomic import replacing, write_bytes_atomic, write_text_atomic
from pipeline.runtime.context import Context
from pipeline.runtime.orchestrator import UnreadableInput
from pipeline.runtime.records import read_record
from pipeline.runtime.tasks import output_path

if TYPE_CHECKING:
    from pipeline.merge.fold import Lister


class Group(msgspec.Struct):
    """What merge's index keeps of one cell or document: the key of its ranked captures, and its notes."""

    key: str
    notes: dict[str, list[str]]


class Merged(msgspec.Struct):
    """What merge keeps of its last run as a whole: the key it was made from (structure's index and
    merge's code) and the sha256 of each file it wrote."""

    key: str
    files: dict[str, str]


MERGED = ".merged.json"


def merge_stage(context: Context) -> int:
    """Ranks every capture from the facts the structure stage indexed (no page is read for that), then
    folds each cell's (and document's) captures, best first, a cell or document at a time on the run's
    workers (`pieces.py`), loading one page at a time. A group whose captures are unchanged since the
    last run is taken from that run's output (merge's index keeps each group's key and notes); the
    gathering of structure's index is kept too, and brought up to date with the journal lines
    structure wrote since (`kept.py`); when structure's index is as it was and the outputs are intact,
    nothing is read at all."""
    source, folder = context.stage_folder("structure"), context.stage_folder("merge")
    if not (source / incremental.INDEX).exists() and not (source / incremental.JOURNAL).exists():
        raise FileNotFoundError(2, "no such file", str(source / incremental.INDEX))
    index_sha, journal = _sha256(source / incremental.INDEX), incremental.journal_bytes(source)
    whole = incremental.key("merge", index_sha, hashlib.sha256(journal).hexdigest())
    if _unchanged(folder, whole):
        return 0
    from pipeline.merge import kept, revisions  # the folding code (rapidfuzz) loads only when merging
    from pipeline.merge.fold import merge_axes
    from pipeline.merge.pieces import merge_all

    folder.mkdir(parents=True, exist_ok=True)
    # each capture's report record goes straight from structure's index into captures.json (moved into
    # place with the other outputs), so merge never holds a copy of them
    with replacing(folder / "captures.json") as staged, staged.open("wb") as captures:
        gathering = kept.gathered(source, index_sha, journal, folder, captures)
        corpus = gathering.corpus()
        candidates, structured = corpus.candidates, corpus.structured
        previous: dict[str, Group] = incremental.load(folder, Group)
        index: dict[str, Group] = {}
        notes: dict[str, list[str]] = {}
        earlier = _earlier_groups(folder) if previous else {}
        if earlier is None:
            context.events.append(
                f"{folder}: its last output did not decode (a truncated or damaged file?); merged again"
            )
            earlier = {}
        keys = {}

        def reuse(kind: str, group: str, ranked: list) -> tuple[msgspec.Raw, dict[str, list[str]]] | None:
            # each capture's structured record, not its raw bytes: new structure code changes what is folded;
            # capture times too: they place an undated capture in its revision
            keys[group] = incremental.key(
                "merge", kind, group, [(s.capture, structured[s.capture], s.captured_at) for s in ranked]
            )
            if group in previous and previous[group].key == keys[group] and group in earlier:
                return earlier[group], previous[group].notes
            return None

        groups, history = merge_all(
            candidates,
            corpus.captured,
            Records(source, corpus.parted),
            reuse=reuse,
            folder=folder,
            structured=structured,
            spread=context.spread,
        )
        merged: dict[str, list] = {"cell": [], "document": []}
        for group in groups:
            merged[group.kind].append(group.result)
            index[group.group] = Group(keys[group.group], group.notes)
            notes.update(group.notes)
        axes = merge_axes(corpus.axes)
        # the indexes go before the outputs change, so a run cut short cannot leave one that vouches for them
        (folder / incremental.INDEX).unlink(missing_ok=True)
        (folder / MERGED).unlink(missing_ok=True)
        for name, records in (("cells", merged["cell"]), ("documents", merged["document"]), ("axes", axes)):
            write_bytes_atomic(folder / f"{name}.json", b"[\n" + b",\n".join(map(_encoded, records)) + b"\n]\n")
        write_text_atomic(folder / "notes.json", to_pretty_json(notes))
    revisions.write(folder / revisions.FILE, history)
    incremental.save(folder, index)
    outputs = ("cells.json", "documents.json", "axes.json", "notes.json", "captures.json", revisions.FILE)
    files = {n: _sha256(folder / n) for n in (*outputs, incremental.INDEX)}  # its index gone: merge all again
    write_text_atomic(folder / MERGED, msgspec.json.encode(Merged(whole, files), order="sorted").decode())
    kept.keep(folder, gathering, index_sha, journal, files["captures.json"])
    return 0


def _unchanged(folder: Path, key: str) -> bool:
    try:
        merged = msgspec.json.decode((folder / MERGED).read_bytes(), type=Merged)
    except (OSError, ValueError):
        return False
    return merged.key == key and all(_sha256(folder / n) == h for n, h in merged.files.items())


def _sha256(path: Path) -> str:
    """The file's sha256; "" when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


class _Page(msgspec.Struct):
    matrix: str = ""  # a cell page's: its id is made of these three
    column_code: str = ""
    row_code: int = 0


class _Named(msgspec.Struct):
    """What is read of a merged record to know it: a document's id, or its cell page's."""

    page: _Page
    document_id: str | None = None


def _earlier_groups(folder: Path) -> dict[str, msgspec.Raw] | None:
    """The last run's cells and documents by id, as the JSON they were written as (a group reused is
    written again as it is, never decoded); None when its output no longer decodes."""
    try:
        found = {}
        for name in ("cells.json", "documents.json"):
            for raw in msgspec.json.decode((folder / name).read_bytes(), type=list[msgspec.Raw]):
                named = msgspec.json.decode(raw, type=_Named)
                page = named.page
                found[named.document_id or cell_id(page.matrix, page.column_code, page.row_code)] = raw
        return found
    except (OSError, ValueError):
        return None


def _encoded(record: Cell | Document | Axis | msgspec.Raw) -> bytes:
    return bytes(record) if isinstance(record, msgspec.Raw) else to_json_bytes(record)


def _record_reader(folder: Path, parted: bool) -> Callable[[str], bytes]:
    """Structured records' bytes by capture name (`parted`: some are kept in parts)."""
    if parted:
        return parts.opened(folder).record
    return lambda name: read_record(output_path(folder, name))


@dataclass(frozen=True)
class Records:
    """Structure's records, opened where merge's pieces are folded (a worker opens its own)."""

    folder: Path
    parted: bool  # some are kept in parts

    def __call__(self) -> tuple[Callable[[str], Page], Lister]:
        from pipeline.merge.fold import Listed

        read = _record_reader(self.folder, self.parted)
        listed = _page_loader(read, Listed)
        return _page_loader(read), lambda name: listed(name).cell


def _page_loader(read: Callable[[str], bytes], record: type = Page) -> Callable[[str], Any]:
    """Structured records by capture name, decoded as `record`; one that no longer decodes is made again
    by the structure stage."""

    def load(name: str) -> Any:
        try:
            return from_json(record, read(name))
        except (OSError, ValueError) as exc:
            raise UnreadableInput("structure", [name]) from exc

    return load


def read_list(path: Path, tp: type) -> list:
    return from_json(list[tp], path.read_bytes())  # type: ignore[valid-type]
