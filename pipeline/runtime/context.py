"""What a stage is given: the folders, the run's options, and where per-capture work runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A whole-set stage's pieces of work spread over the run's workers: `spread(function, items)` hands
# `function` (a pure module-level function of a batch of items, returning one result per item, in
# order) batches of `items`, wherever the workers are, and gives the results back in the items' order
Spread = Callable[[Callable[[Sequence[Any]], list[Any]], Sequence[Any]], Iterator[Any]]


def in_process(function: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any]) -> Iterator[Any]:
    """Every item in one batch, in this process."""
    return iter(function(items) if items else [])


@dataclass
class Context:
    raw: Path
    interim: Path
    processed: Path
    options: dict[str, Any] = field(default_factory=dict)  # the command line's, by name (max_bytes, strict, …)
    events: list[str] = field(default_factory=list)  # what the run healed or skipped, for the end-of-run summary
    spread: Spread = in_process  # where a whole-set stage's pieces run: the run's workers (executors.py)

    def stage_folder(self, name: str) -> Path:
        return self.interim / name
