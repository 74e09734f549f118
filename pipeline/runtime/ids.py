"""Stable ids: short hashes of content and position, the same on every run and machine."""

from __future__ import annotations

import hashlib


def stable_id(*parts: object) -> str:
    return hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:12]
