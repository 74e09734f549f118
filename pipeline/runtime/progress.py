"""What a long command shows: a tqdm progress bar when stderr is a terminal, plain log lines otherwise
(logs, CI), nothing with --quiet. Fetch prints a line per page; stages, with thousands of captures, a
line per tenth of the work (`every_tenth`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        quiet: bool = False,
        bar: bool | None = None,
        prefix: str = "fetch",
        unit: str = "page",
        every_tenth: bool = False,
    ) -> None:
        self.stream = stream or sys.stderr
        self.prefix, self.unit, self.every_tenth = prefix, unit, every_tenth
        self.quiet = quiet
        self.bar = (not quiet) and (self.stream.isatty() if bar is None else bar)
        self._tqdm: tqdm | None = None
        self._done = self._total = 0
        self._label = ""
        self._unit = unit

    def start(self, label: str, total: int, unit: str | None = None) -> None:
        """unit: what this step counts, when not the default (a stage written in parts counts parts)."""
        self.close()
        self._label, self._total, self._done = label, total, 0
        self._unit = unit or self.unit
        if self.bar:
            from tqdm import tqdm  # loads only where a bar is drawn: a run with nothing to do never draws one

            self._tqdm = tqdm(total=total, desc=self._name(), unit=self._unit, file=self.stream, leave=True)

    def advance(self, kind: str, url: str, detail: str = "") -> None:
        self._done += 1
        if self._tqdm is not None:
            self._tqdm.update(1)
            if kind == "failed":
                self._tqdm.write(f"failed {url}: {detail}", file=self.stream)
        elif self.every_tenth:
            if not self.quiet and (self._done == self._total or self._done % max(1, self._total // 10) == 0):
                print(f"{self._name()}: {self._done}/{self._total} {self._unit}s", file=self.stream, flush=True)
        elif not self.quiet:
            tail = f" ({detail})" if detail else ""
            print(
                f"{self.prefix} {self._label} [{self._done}/{self._total}] {kind} {url}{tail}",
                file=self.stream,
                flush=True,
            )

    def _name(self) -> str:
        return f"{self.prefix} {self._label}".strip()

    def note(self, text: str) -> None:
        if self._tqdm is not None:
            self._tqdm.write(text, file=self.stream)
        elif not self.quiet:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
