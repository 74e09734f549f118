"""Every revision of a cell: cell_revisions, entry_history, changes and runs, from captures of one cell
in three revisions (tests/fixtures/history: 2015 and 2019 full pages, an undated cut copy of the 2019
page, and a 2021 page cut off part-way)."""

from __future__ import annotations

import filecmp
import itertools
import shutil
from datetime import date

import msgspec
import pytest
from conftest import FIXTURES, Merged, folder_of, run_on
from lxml import html

from pipeline.merge import fold, revisions
from pipeline.merge.revisions import CellHistory, CellState, History, Refresh, Revision, Written, refreshes
from pipeline.model import Entry, Page, Reference, Rich, from_json, to_json
from pipeline.publish.history import history_tables
from pipeline.publish.schemas import TABLES
from pipeline.runtime.records import read_record
from pipeline.runtime.tasks import output_path

HISTORY = FIXTURES / "history"
CAPTURES = sorted(p.name for p in HISTORY.glob("*.txt"))
OLD, NEW, CUT_COPY, CUT = (
    "cell_drug_E2_2015.txt",
    "cell_drug_E2_2019.txt",
    "cell_drug_E2_2019_sidebar_cut.txt",
    "cell_drug_E2_2021_cut.txt",
)
REVIEW_OLD = "How treatment systems are organised: an international review"
REVIEW_NEW = "How drug treatment systems are organised internationally: a review"
GUIDANCE = "Models of care for treatment of adult drug misusers"
MODELS_OLD = "Framework setting out four tiers of treatment and the care pathways which should link them."
MODELS_NEW = (
    "Once the national framework for English drug treatment, setting out four tiers of care and the pathways "
    "between them; since superseded but still shapes how services are described."
)
D15, D19, D24 = date(2015, 5, 12), date(2019, 11, 18), date(2024, 6, 2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_on(HISTORY, tmp_path_factory.mktemp("history"))


def _records(frame, columns: list[str]) -> list[dict]:
    return [
        {c: (list(v) if hasattr(v, "tolist") and not isinstance(v, str) else v) for c, v in row.items()}
        for row in frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    ]


def test_each_revision_of_the_cell_is_a_row(run):
    assert _records(
        run.table("cell_revisions"),
        ["revision", "revised", "dated_by", "first_uploaded", "captures", "entry_count", "truncated", "refresh"],
    ) == [
        {
            "revision": 1,
            "revised": D15,
            "dated_by": "page",
            "first_uploaded": date(2013, 6, 1),
            "captures": [OLD],
            "entry_count": 5,
            "truncated": False,
            "refresh": 1,
        },
        {
            "revision": 2,
            "revised": D19,
            "dated_by": "page",
            "first_uploaded": date(2013, 6, 1),
            "captures": [NEW, CUT_COPY],
            "entry_count": 5,
            "truncated": False,
            "refresh": 2,
        },
        {
            "revision": 3,
            "revised": D24,
            "dated_by": "capture",
            "first_uploaded": None,
            "captures": [CUT],
            "entry_count": 4,
            "truncated": True,
            "refresh": 4,
        },
    ]
    assert run.table("cell_revisions").is_current.tolist() == [False, False, True]


def test_entry_history_is_scd2_and_a_cut_off_revision_removes_nothing(run):
    assert _records(
        run.table("entry_history"),
        ["from_revision", "last_revision", "valid_from", "valid_to", "is_current", "unknown_in", "types", "title"],
    ) == [
        {
            "from_revision": 1,
            "last_revision": 3,
            "valid_from": D15,
            "valid_to": None,
            "is_current": True,
            "unknown_in": [],
            "types": ["S"],
            "title": "Commissioning for recovery in a northern city",
        },
        {
            "from_revision": 1,
            "last_revision": 1,
            "valid_from": D15,
            "valid_to": D19,
            "is_current": False,
            "unknown_in": [],
            "types": ["K"],
            "title": "Does paying services by results reduce drug use?",
        },
        {
            "from_revision": 1,
            "last_revision": 1,
            "valid_from": D15,
            "valid_to": D19,
            "is_current": False,
            "unknown_in": [],
            "types": ["K"],
            "title": "Waiting lists and the loss of clients before treatment",
        },
        {
            "from_revision": 1,
            "last_revision": 1,
            "valid_from": D15,
            "valid_to": D19,
            "is_current": False,
            "unknown_in": [],
            "types": ["R"],
            "title": REVIEW_OLD,
        },
        {
            "from_revision": 1,
            "last_revision": 1,
            "valid_from": D15,
            "valid_to": D19,
            "is_current": False,
            "unknown_in": [],
            "types": ["G"],
            "title": GUIDANCE,
        },
        {
            "from_revision": 2,
            "last_revision": 3,
            "valid_from": D19,
            "valid_to": None,
            "is_current": True,
            "unknown_in": [],
            "types": ["S"],
            "title": "Does paying services by results reduce drug use?",
        },
        {
            "from_revision": 2,
            "last_revision": 3,
            "valid_from": D19,
            "valid_to": None,
            "is_current": True,
            "unknown_in": [],
            "types": ["K"],
            "title": "Recovery-oriented systems of care in three English areas",
        },
        {
            "from_revision": 2,
            "last_revision": 3,
            "valid_from": D19,
            "valid_to": None,
            "is_current": True,
            "unknown_in": [3],
            "types": ["R"],
            "title": REVIEW_NEW,
        },
        {
            "from_revision": 2,
            "last_revision": 3,
            "valid_from": D19,
            "valid_to": None,
            "is_current": True,
            "unknown_in": [3],
            "types": ["G"],
            "title": GUIDANCE,
        },
        {
            "from_revision": 3,
            "last_revision": 3,
            "valid_from": D24,
            "valid_to": None,
            "is_current": True,
            "unknown_in": [],
            "types": ["K"],
            "title": "Integrated care pathways between prisons and community treatment",
        },
    ]
    rows = run.table("entry_history")
    assert rows[rows.title == GUIDANCE].annotation.tolist() == [MODELS_OLD, MODELS_NEW]
    # one work keeps one key through its retitling
    assert rows[rows.title.isin([REVIEW_OLD, REVIEW_NEW])].work_key.nunique() == 1


def test_the_published_cell_is_the_revision_the_history_calls_current(run):
    """Merge and the history share one grouping: the cut-off undated 2021 capture lists a work the 2019
    list lacks, so it is a revision of its own, and the published row is folded from it alone."""
    entries = run.table("entries")
    shown = [
        ("Commissioning for recovery in a northern city", 2004),
        ("Does paying services by results reduce drug use?", 2012),
        ("Integrated care pathways between prisons and community treatment", 2021),
        ("Recovery-oriented systems of care in three English areas", 2017),
    ]
    assert sorted(zip(entries.title, entries.year.tolist(), strict=True)) == shown
    rows = run.table("entry_history")
    current = rows[rows.is_current]
    last = int(run.table("cell_revisions").revision.max())
    works = list(zip(current.title, current.year, current.unknown_in, strict=True))
    # every current work the current revision lists is published, and nothing else
    assert sorted((title, year) for title, year, unknown in works if last not in unknown) == shown
    # the works past its cut stay current in the history (unknown there, not removed), but are not listed
    assert sorted((title, year) for title, year, unknown in works if last in unknown) == [
        (REVIEW_NEW, 2011),
        (GUIDANCE, 2006),
    ]
    cells = run.table("cells")
    cells = cells[cells.captured].reset_index(drop=True)
    assert (cells.sources.iloc[0].tolist(), int(cells.entry_count.iloc[0]), bool(cells.truncated.iloc[0])) == (
        [CUT],
        4,
        True,
    )
    report = {c["file"]: (c["status"], c["notes"]) for c in run.report["captures"]}
    newest = "undated, captured 2024-06-02 in cell_drug_E2_2021_cut.txt"
    assert report == {
        OLD: ("superseded", [f"superseded: drug-E2 last revised 2015-05-12 in this capture, {newest}"]),
        NEW: ("superseded", [f"superseded: drug-E2 last revised 2019-11-18 in this capture, {newest}"]),
        CUT_COPY: ("superseded", [f"superseded: drug-E2 last revised 2019-11-18 in this capture, {newest}"]),
        CUT: ("published", ["base of drug-E2: every field not noted as taken from another capture"]),
    }


def test_a_new_capture_time_moves_an_undated_capture_to_another_revision_on_a_rerun(run, tmp_path):
    """Only the manifest changes: both undated captures now come before the 2019 revision and agree with
    no earlier one, so each is a revision of its own and the 2019 page is current again, on a rerun as
    on a first run."""
    raw = folder_of(tmp_path / "raw", {name: HISTORY / name for name in ["manifest.csv", *CAPTURES]})
    run_on(raw, tmp_path / "rerun")
    manifest = (raw / "manifest.csv").read_text(encoding="utf-8")
    moved = manifest.replace("2024-03-20T12:00:00Z", "2019-06-01T12:00:00Z").replace(
        "2024-06-02T08:30:00Z", "2019-07-01T08:30:00Z"
    )
    (raw / "manifest.csv").write_text(moved, encoding="utf-8")
    again, fresh = run_on(raw, tmp_path / "rerun"), run_on(raw, tmp_path / "fresh")
    revisions = again.table("cell_revisions")
    assert list(zip(revisions.dated_by, revisions.captures.map(list), revisions.is_current, strict=True)) == [
        ("page", [OLD], False),
        ("capture", [CUT_COPY], False),
        ("capture", [CUT], False),
        ("page", [NEW], True),
    ]
    cells = again.table("cells")
    assert cells[cells.captured].sources.iloc[0].tolist() == [NEW]
    assert again.table("entries").title.tolist() == [
        "Commissioning for recovery in a northern city",
        "Does paying services by results reduce drug use?",
        "Recovery-oriented systems of care in three English areas",
        REVIEW_NEW,
        GUIDANCE,
    ]
    for name in TABLES:
        assert filecmp.cmp(again.processed / f"{name}.parquet", fresh.processed / f"{name}.parquet", shallow=False), (
            name
        )


def test_changes_between_consecutive_revisions_give_both_values(run):
    changes = run.table("changes")
    keys = run.table("entry_history").groupby("work_key").title.last().to_dict()
    assert [
        {**row, "work": keys[key]}
        for key, row in zip(
            changes.work_key,
            _records(changes, ["change", "from_revision", "to_revision", "to_date", "before", "after"]),
            strict=True,
        )
    ] == [
        {
            "change": "re-annotated",
            "from_revision": 1,
            "to_revision": 2,
            "to_date": D19,
            "before": MODELS_OLD,
            "after": MODELS_NEW,
            "work": GUIDANCE,
        },
        {
            "change": "added",
            "from_revision": 1,
            "to_revision": 2,
            "to_date": D19,
            "before": None,
            "after": "Recovery-oriented systems of care in three English areas",
            "work": "Recovery-oriented systems of care in three English areas",
        },
        {
            "change": "retagged",
            "from_revision": 1,
            "to_revision": 2,
            "to_date": D19,
            "before": "K",
            "after": "S",
            "work": "Does paying services by results reduce drug use?",
        },
        {
            "change": "retitled",
            "from_revision": 1,
            "to_revision": 2,
            "to_date": D19,
            "before": REVIEW_OLD,
            "after": REVIEW_NEW,
            "work": REVIEW_NEW,
        },
        {
            "change": "removed",
            "from_revision": 1,
            "to_revision": 2,
            "to_date": D19,
            "before": "Waiting lists and the loss of clients before treatment",
            "after": None,
            "work": "Waiting lists and the loss of clients before treatment",
        },
        {
            "change": "added",
            "from_revision": 2,
            "to_revision": 3,
            "to_date": D24,
            "before": None,
            "after": "Integrated care pathways between prisons and community treatment",
            "work": "Integrated care pathways between prisons and community treatment",
        },
    ]


def test_runs_say_what_each_refresh_brought_and_changed(run):
    counts = [
        f"{t}_{how}" for t in ("cell_revisions", "entry_history", "changes") for how in ("added", "changed", "removed")
    ]
    assert _records(run.table("runs"), ["refresh", "started", "captures", "cells_changed", *counts]) == [
        {"refresh": 1, "started": "2016-01-10T10:00:00Z", "captures": [OLD], "cells_changed": 1}
        | dict(zip(counts, [1, 0, 0, 5, 0, 0, 0, 0, 0], strict=True)),
        # revision 1 is no longer current; four listings close, one stays open, four open; five changes
        {"refresh": 2, "started": "2020-01-15T09:00:00Z", "captures": [NEW], "cells_changed": 1}
        | dict(zip(counts, [1, 1, 0, 4, 5, 0, 5, 0, 0], strict=True)),
        # a second capture of revision 2 changes only the revision's list of captures
        {"refresh": 3, "started": "2024-03-20T12:00:00Z", "captures": [CUT_COPY], "cells_changed": 1}
        | dict(zip(counts, [0, 1, 0, 0, 0, 0, 0, 0, 0], strict=True)),
        {"refresh": 4, "started": "2024-06-02T08:30:00Z", "captures": [CUT], "cells_changed": 1}
        # revision 2 is no longer current; every open listing runs on to revision 3; one work added
        | dict(zip(counts, [1, 1, 0, 1, 5, 0, 1, 0, 0], strict=True)),
    ]


@pytest.mark.parametrize("first", [[CUT], [OLD, CUT_COPY], [NEW]], ids=["newest", "old-and-copy", "middle"])
def test_any_split_across_refreshes_gives_the_same_tables(run, tmp_path, first):
    raw = folder_of(tmp_path / "raw", {name: HISTORY / name for name in ["manifest.csv", *first]})
    run_on(raw, tmp_path)
    for name in CAPTURES:
        shutil.copy(HISTORY / name, raw / name)
    again = run_on(raw, tmp_path)
    for name in TABLES:
        assert filecmp.cmp(again.processed / f"{name}.parquet", run.processed / f"{name}.parquet", shallow=False), name


def test_the_history_does_not_depend_on_capture_order(run):
    pages = [from_json(Page, read_record(output_path(run.interim / "structure", name))) for name in CAPTURES]
    expected = history_tables(Merged(pages).history)
    assert len(expected["changes"]) == 6
    for order in itertools.permutations(pages):
        assert history_tables(Merged(list(order)).history) == expected


def test_merge_folds_each_set_of_captures_once_for_the_cell_and_its_history(run, monkeypatch):
    """A cell's piece folds its current revision and its history's states with one set of folds: the
    history's latest state is merge's own fold, and an earlier state carries on from a fold it shares
    the first captures of."""
    pages = [from_json(Page, read_record(output_path(run.interim / "structure", name))) for name in CAPTURES]
    folded: list[tuple[tuple[str, ...], int]] = []
    real = fold.fold_revision

    def counted(cell_id, ranked, load, before=None):
        folded.append(((cell_id, *(s.capture for s in ranked)), before[0] if before else 0))
        made = real(cell_id, ranked, load, before)
        assert made == real(cell_id, ranked, load)  # carried on from its first captures, or folded whole: the same
        return made

    monkeypatch.setattr(fold, "fold_revision", counted)
    merged = Merged(pages)
    assert folded == [
        (("drug-E2", "cell_drug_E2_2019.txt"), 0),  # merge's: each revision's dated captures, then the current
        (("drug-E2", "cell_drug_E2_2021_cut.txt"), 0),
        (("drug-E2", "cell_drug_E2_2015.txt"), 0),  # the history's earlier states only
        (("drug-E2", "cell_drug_E2_2019.txt", "cell_drug_E2_2019_sidebar_cut.txt"), 1),  # from the 2019 fold
    ]
    monkeypatch.undo()
    written = from_json(History, (run.interim / "merge" / "revisions.json").read_bytes())
    assert history_tables(merged.history) == history_tables(written)  # as the stage merged them


def test_refreshes_batch_captures_by_capture_time():
    assert refreshes(
        {
            "d.txt": "2024-01-01T22:00:00Z",
            "a.txt": "2024-01-01T10:00:00Z",
            "b.txt": "2024-01-01T15:59:00",  # no zone: UTC
            "e.txt": "2024-01-01T23:00:00+01:00",  # 22:00 UTC
            "u.txt": None,
            "v.txt": "not a time",
            "f.txt": "2024-01-02T04:00:00Z",  # exactly six hours later: the same refresh
        }
    ) == [
        Refresh(1, None, None, ["u.txt", "v.txt"]),
        Refresh(2, "2024-01-01T10:00:00Z", "2024-01-01T15:59:00Z", ["a.txt", "b.txt"]),
        Refresh(3, "2024-01-01T22:00:00Z", "2024-01-02T04:00:00Z", ["d.txt", "e.txt", "f.txt"]),
    ]


def test_the_report_shows_the_cells_that_changed_most_and_one_cells_timeline(run):
    page = html.fromstring((run.processed / "report.html").read_bytes())

    def cells(metric: str) -> list[list[str]]:
        table = page.xpath(f'//table[@data-metric="{metric}"]')[0]
        return [[td.text_content() for td in tr.xpath("td")] for tr in table.xpath("tbody/tr")]

    assert page.xpath('//*[@data-metric="revisions"]')[0].text_content() == "3"
    assert page.xpath('//*[@data-metric="changes"]')[0].text_content() == "6"
    assert cells("most-changed") == [["drug-E2", "3", "2", "1", "1", "1", "1", "6"]]
    assert cells("timeline") == [
        ["1", "2015-05-12 (page)", "5", "complete", "–"],
        [
            "2",
            "2019-11-18 (page)",
            "5",
            "complete",
            f"re-annotated “{GUIDANCE}”; added “Recovery-oriented systems of care in three English areas”; "
            "retagged “Does paying services by results reduce drug use?”: K → S; "
            f"retitled “{REVIEW_OLD}” → “{REVIEW_NEW}”; "
            "removed “Waiting lists and the loss of clients before treatment”",
        ],
        [
            "3",
            "2024-06-02 (capture)",
            "4",
            "cut off",
            "added “Integrated care pathways between prisons and community treatment”",
        ],
    ]


def _listing(position: int, tag: str, title: str, year: int, annotation: str) -> Entry:
    text = f"{title} ({year}). {annotation}"
    reference = Reference(str(year), year, [year], None, None, None)
    return Entry(position, [tag], False, title, reference, annotation, Rich(text))


def _revision(day: str, truncated: bool, *entries: Entry) -> Revision:
    return Revision(day, "page", None, [f"{day}.txt"], truncated, list(entries))


def test_a_work_a_cut_off_revision_does_not_show_is_unknown_there_and_its_change_spans_it():
    kept = _listing(1, "K", "Kept throughout", 2001, "Listed in every revision.")
    dropped = _listing(2, "R", "Dropped later", 2002, "Not listed in the last revision.")
    added = _listing(2, "G", "Added later", 2003, "Listed only in the last revision.")
    revisions = [
        _revision("2015-01-01", False, kept, dropped),
        _revision("2018-01-01", True, kept),  # cut off after the first entry
        _revision("2021-01-01", False, kept, added),
    ]
    tables = history_tables(
        History(
            [Refresh(1, None, None, [r.captures[0] for r in revisions])],
            [CellHistory("drug-A1", "", [CellState(1, revisions)])],
        )
    )
    assert [
        (r["title"], r["from_revision"], r["last_revision"], r["valid_to"], r["unknown_in"])
        for r in sorted(tables["entry_history"], key=lambda r: (r["from_revision"], r["position"]))
    ] == [
        ("Kept throughout", 1, 3, None, []),
        ("Dropped later", 1, 2, date(2021, 1, 1), [2]),
        ("Added later", 3, 3, None, []),
    ]
    assert sorted((c["change"], c["from_revision"], c["to_revision"]) for c in tables["changes"]) == [
        ("added", 1, 3),
        ("removed", 1, 3),
    ]


def test_publish_builds_again_only_the_history_of_a_cell_that_changed(run, tmp_path, monkeypatch):
    """interim/publish keeps each cell's history tables (publish/kept.py): a cell whose revisions are
    as they were is taken from there, dates and all, and one whose revisions changed is built again."""
    from pipeline.publish import kept as kept_module
    from pipeline.publish.kept import KeptHistory

    pages = [from_json(Page, read_record(output_path(run.interim / "structure", name))) for name in CAPTURES]
    made = Merged(pages).history
    [cell] = made.cells
    twin = CellHistory("drug-E3", cell.key, cell.states)  # a second cell with the same revisions
    both = History(made.refreshes, [cell, twin])
    built: list[str] = []
    real = kept_module.cell_tables

    def counted(one, refresh_of):
        built.append(one.cell_id)
        return real(one, refresh_of)

    monkeypatch.setattr(kept_module, "cell_tables", counted)

    def published(history_: History) -> dict[str, list[dict]]:
        kept = KeptHistory(tmp_path)
        tables = history_tables(history_, kept)
        kept.save()
        return tables

    expected = history_tables(both)
    assert expected["cell_revisions"][-1]["revised"] == D24  # a date, as the kept file must give it back
    assert published(both) == expected and built == ["drug-E2", "drug-E3"]
    built.clear()
    assert published(both) == expected and built == []
    shorter = History(made.refreshes, [cell, CellHistory("drug-E3", cell.key, cell.states[:-1])])
    assert published(shorter) == history_tables(shorter) != expected and built == ["drug-E3"]


def test_revisions_json_is_written_a_cell_at_a_time_as_the_encoder_writes_it_whole(run, tmp_path):
    """revisions.write streams the history (cells made again, and cells taken as written) and gives
    the bytes of encoding it whole."""
    written = from_json(History, (run.interim / "merge" / "revisions.json").read_bytes())
    [cell] = written.cells
    mixed = Written(written.refreshes, [cell, msgspec.Raw(to_json(CellHistory("drug-E3", cell.key, cell.states)))])
    revisions.write(tmp_path / "revisions.json", mixed)
    assert (tmp_path / "revisions.json").read_bytes() == to_json(mixed).encode()
    assert from_json(History, (tmp_path / "revisions.json").read_bytes()).cells[1].cell_id == "drug-E3"
