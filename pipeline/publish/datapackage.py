"""processed/datapackage.json: a Frictionless Data Package describing every published table, generated
from the same pyarrow schemas the pipeline validates with, so it cannot drift from the files. Foreign
keys are read from the "(→ table.column)" each schema description already states, enum constraints
from the values a column is declared to hold.

List columns are declared `any`: frictionless reads Parquet through pandas, which hands a list cell
over as a numpy array that its `array` type rejects; pyarrow checks their item types when publish
writes them. The `created` date comes from the inputs (the latest capture time, else the latest
revision date a page shows), never the clock, so the same inputs give the same file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pyarrow as pa

from pipeline.publish.schemas import KEYS, SCHEMA_VERSION, TABLES, allowed
from pipeline.site import urls

_REFERENCE = re.compile(r"\(→ (\w+)\.(\w+)\)")


def _type(t: pa.DataType) -> str:
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_list(t):
        return "array"
    return "string"


def _field(f: pa.Field) -> dict:
    out: dict = {"name": f.name, "type": _type(f.type), "description": f.metadata[b"description"].decode()}
    if out["type"] == "array":
        out["type"] = "any"
    constraints: dict = {}
    if not f.nullable:
        constraints["required"] = True
    if (values := allowed(f)) and not pa.types.is_list(f.type):
        constraints["enum"] = values
    if constraints:
        out["constraints"] = constraints
    return out


# The pages are the publisher's; the tables only restate them, so their terms apply to any reuse.
LICENSE = {
    "name": "other-closed",
    "title": "Content of the Drug and Alcohol Findings Effectiveness Bank: reuse on the publisher's terms",
    "path": urls.ROOT + "/",
}
SOURCE = {"title": "Drug and Alcohol Findings Effectiveness Bank (captures of its pages)", "path": urls.ROOT + "/"}


def moment(text: str | None) -> datetime | None:
    """A capture time as UTC; None when it is not an ISO 8601 time (the manifest's column is free text)."""
    try:
        moment = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def created(latest: datetime | None, dated: str | None) -> str | None:
    """When the newest input was made: the latest capture time, else the latest date a page shows."""
    if latest is not None:
        return latest.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{dated}T00:00:00Z" if dated else None


def foreign_keys(name: str) -> list[dict]:
    found = []
    for f in TABLES[name]:
        if not pa.types.is_list(f.type) and (m := _REFERENCE.search(f.metadata[b"description"].decode())):
            found.append({"fields": [f.name], "reference": {"resource": m.group(1), "fields": [m.group(2)]}})
    return found


def descriptor(when: str | None) -> dict:
    resources = []
    for name, schema in TABLES.items():
        key = KEYS[name]
        resources.append(
            {
                "name": name,
                "path": f"{name}.parquet",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "profile": "tabular-data-resource",
                "schema": {
                    "fields": [_field(f) for f in schema],
                    "primaryKey": [key] if isinstance(key, str) else list(key),
                    "foreignKeys": foreign_keys(name),
                },
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "findings-effectiveness-bank-matrices",
        "title": "Drug and Alcohol Findings Effectiveness Bank: treatment matrices",
        "description": "Cells, entries, citations and links of the alcohol and drug treatment matrices, with the "
        "analysis pages they point to; see docs/data-dictionary.md.",
        "version": SCHEMA_VERSION,
        "licenses": [LICENSE],
        "sources": [SOURCE],
        **({"created": when} if when else {}),
        "resources": resources,
    }


def render(when: str | None) -> str:
    """datapackage.json, `when` its `created` (see `created`)."""
    return json.dumps(descriptor(when), indent=1, ensure_ascii=False) + "\n"
