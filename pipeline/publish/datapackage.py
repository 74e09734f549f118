"""processed/datapackage.json: a Frictionless Data Package describing every published table, generated
from the same pyarrow schemas the pipeline validates with, so it cannot drift from the files. Foreign
keys are read from the "(→ table.column)" each schema description already states."""

from __future__ import annotations

import json
import re

import pyarrow as pa

from pipeline.publish.schemas import KEYS, SCHEMA_VERSION, TABLES

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
    out = {"name": f.name, "type": _type(f.type), "description": f.metadata[b"description"].decode()}
    if not f.nullable:
        out["constraints"] = {"required": True}
    return out


def foreign_keys(name: str) -> list[dict]:
    found = []
    for f in TABLES[name]:
        if m := _REFERENCE.search(f.metadata[b"description"].decode()):
            found.append({"fields": [f.name], "reference": {"resource": m.group(1), "fields": [m.group(2)]}})
    return found


def descriptor() -> dict:
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
        "resources": resources,
    }


def render() -> str:
    return json.dumps(descriptor(), indent=1, ensure_ascii=False) + "\n"
