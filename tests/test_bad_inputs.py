"""Issue 5's corpus of bad inputs, each with its expected outcome, alongside valid captures."""

from __future__ import annotations

import json

import pytest
from conftest import RAW, folder_of, run_on
from test_structure_units import CELL

from pipeline.runtime.records import read_record
from pipeline.runtime.tasks import output_path

CELL_HTML = (
    "<html><head><title>x</title></head><body>"
    + "".join(f"<p>{line}</p>" for line in CELL.splitlines() if line)
    + "</body></html>"
)
QUOTED = CELL.replace("Drug Treatment Matrix cell B5", "Drug Treatment Matrix cell C5").replace(
    "Keeping children safe", "“Keeping” children safe café"
)
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]><html><body>'
    "<p>&lol5;</p></body></html>"
)
OLDER = (
    CELL.replace("Drug Treatment Matrix cell B5", "Drug Treatment Matrix cell D5")
    .replace("02 March 2019", "02 March 2015")
    .replace("Keeping children safe (2010)", "Keeping children safe at home (2009)")
)
NEWER = CELL.replace("Drug Treatment Matrix cell B5", "Drug Treatment Matrix cell D5")

CORPUS = {
    "empty.txt": b"",
    "blank.txt": b"  \n\n\t \n",
    "image.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "utf16.txt": CELL.replace("B5", "A5").encode("utf-16"),
    "cp1252.txt": QUOTED.encode("cp1252"),
    "mojibake.txt": CELL.replace("B5", "E5").replace("Review of training.", "Review of trainingâ€™s reach.").encode(),
    "line_endings.txt": CELL.replace("B5", "C1").replace("\n", "\r\n", 20).replace("\n", "\r").encode(),
    "nul_bytes.txt": CELL.replace("B5", "C2").replace("Guidance for staff.", "Guidance\x00 for\x00 staff.").encode(),
    "huge.txt": (CELL.replace("B5", "C3") + "filler line of text\n" * 40_000).encode(),
    "truncated.html": CELL_HTML.replace("B5", "C4").split("</body>")[0].replace("</p>", "", 3),
    "deep.html": "<html><body>" + "<div>" * 10_000 + "deep text" + "</div>" * 10_000 + "</body></html>",
    "script.html": CELL_HTML.replace("B5", "E1").replace(
        "<body>",
        "<body><script>var s = '<p>K Fake entry (2001). Scripted.</p>';</script>"
        "<style>p::before { content: 'K Styled entry (2002).' }</style>"
        "<template><p>K Template entry (2003). Hidden.</p></template>",
    ),
    "bomb.html": BOMB,
    "unrelated.html": "<html><body><h1>Cheap flights</h1><p>Book your holiday today and save.</p></body></html>",
    "twice_a.txt": CELL.replace("B5", "E2"),
    "twice_b.txt": CELL.replace("B5", "E2"),
    "version_old.txt": OLDER,
    "version_new.txt": NEWER,
}
QUARANTINED = {
    "empty.txt": "no content",
    "blank.txt": "no content",
    "image.png": "binary file (a PNG image)",
    "huge.txt": "over the limit",
    "deep.html": "nested more than 2048 levels deep",
    "bomb.html": "not a page of the Effectiveness Bank",
    "unrelated.html": "not a page of the Effectiveness Bank",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    files = {name: data.encode() if isinstance(data, str) else data for name, data in CORPUS.items()}
    files.update({p.name: p for p in RAW.glob("*.txt")})
    return run_on(folder_of(tmp / "raw", files), tmp, "--max-bytes", "200000")


def test_status_is_one_when_anything_is_quarantined(corpus):
    assert corpus.status == 1


@pytest.mark.parametrize("name", sorted(QUARANTINED))
def test_bad_capture_is_quarantined_with_its_reason(corpus, name):
    report = {c["file"]: c for c in corpus.report["captures"]}
    assert report[name]["status"] == "quarantined"
    assert QUARANTINED[name] in " ".join(report[name]["errors"])


def test_valid_captures_still_give_their_full_tables(corpus, seeds):
    cells = corpus.table("cells").query("captured")
    seed_cells = set(seeds.table("cells").query("captured").cell_id)
    assert seed_cells <= set(cells.cell_id)
    entries = corpus.table("entries")
    assert len(entries[entries.cell_id.isin(seed_cells)]) == 53
    assert set(cells.cell_id) - seed_cells == {
        "drug-A5",
        "drug-C5",
        "drug-E5",
        "drug-C1",
        "drug-C2",
        "drug-C4",
        "drug-E1",
        "drug-E2",
        "drug-D5",
    }


def test_encodings_are_read(corpus):
    entries = corpus.table("entries")
    assert "“Keeping” children safe café" in set(entries[entries.cell_id == "drug-C5"].title)
    assert len(entries[entries.cell_id == "drug-A5"]) == 3
    report = {c["file"]: c for c in corpus.report["captures"]}
    assert "decoded as cp1252" in report["cp1252.txt"]["warnings"]


def test_mojibake_is_repaired(corpus):
    entries = corpus.table("entries")
    annotation = entries[(entries.cell_id == "drug-E5") & (entries.position == 2)].annotation.iloc[0]
    assert annotation == "Review of training’s reach."


def test_line_endings_and_control_characters(corpus):
    entries = corpus.table("entries")
    assert entries[entries.cell_id == "drug-C1"].title.tolist() == entries[entries.cell_id == "drug-C2"].title.tolist()
    annotation = entries[(entries.cell_id == "drug-C2") & (entries.position == 3)].annotation.iloc[0]
    assert annotation == "Guidance for staff."
    report = {c["file"]: c for c in corpus.report["captures"]}
    assert "removed 2 control characters" in report["nul_bytes.txt"]["warnings"]


def test_truncated_html_still_gives_its_entries(corpus):
    entries = corpus.table("entries")
    assert len(entries[entries.cell_id == "drug-C4"]) == 3


def test_nesting_the_parser_cannot_read_to_the_end_is_quarantined(corpus):
    report = {c["file"]: c for c in corpus.report["captures"]}
    assert report["deep.html"]["errors"] == [
        "extract: HTML nested more than 2048 levels deep at line 1: the rest of the page cannot be read"
    ]


def test_script_style_and_template_never_reach_tables(corpus):
    text = json.dumps(corpus.table("entries").astype(str).to_dict()) + json.dumps(
        corpus.table("sections").astype(str).to_dict()
    )
    for fake in ("Fake entry", "Styled entry", "Template entry", "Scripted"):
        assert fake not in text
    assert len(corpus.table("entries").query("cell_id == 'drug-E1'")) == 3


def test_entity_bomb_is_not_expanded(corpus):
    extracted = read_record(output_path(corpus.interim / "extract", "bomb.html")).decode()
    assert len(extracted) < 5000


def test_identical_captures_count_once_and_newer_version_wins(corpus):
    cells = corpus.table("cells").set_index("cell_id")
    assert list(cells.loc["drug-E2", "sources"]) == ["twice_a.txt"]
    assert list(cells.loc["drug-D5", "sources"]) == ["version_new.txt"]
    entries = corpus.table("entries")
    assert entries[entries.cell_id == "drug-D5"].title.iloc[0] == "Keeping children safe"
    report = {c["file"]: c for c in corpus.report["captures"]}
    assert report["version_old.txt"]["status"] == "superseded"
    assert any("identical" in n for n in report["twice_b.txt"]["notes"])


@pytest.mark.parametrize(
    "data, text, encoding",
    [
        ("café “quoted”".encode(), "café “quoted”", "utf-8"),
        ("café “quoted”".encode("cp1252"), "café “quoted”", "cp1252"),
        ("café".encode("latin-1") + b"\x81", "café\x81", "iso8859-1"),
        ("café — ".encode() + "“quoted”".encode("cp1252"), "café — “quoted”", "utf-8+cp1252"),
        ("café".encode("utf-16-le"), "café", "utf-16-le"),
        (b"\xef\xbb\xbfcaf\xc3\xa9", "café", "utf-8-sig"),
    ],
)
def test_decoding(data, text, encoding):
    from pipeline.extract.decode import decode

    assert decode(data) == (text, encoding)
