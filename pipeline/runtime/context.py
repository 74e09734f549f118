"""What a stage is given: the folders, the run's options, and where per-capture work runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Context:
    raw: Path
    interim: Path
    processed: Path
    options: dict[str, Any] = field(default_factory=dict)  # the command line's, by name (max_bytes, strict, …)
    events: list[str] = field(default_factory=list)  # what the run healed or skipped, for the end-of-run summary

    def stage_folder(self, name: str) -> Path:
        return self.interim / name
