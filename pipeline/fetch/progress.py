"""What a running fetch shows: a tqdm progress bar when stderr is a terminal, one plain line per page
otherwise (logs, CI), nothing with --quiet."""
from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False, bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.bar = (not quiet) and (self.stream.isatty() if bar is None else bar)
        self._tqdm: tqdm | None = None
        self._done = self._total = 0
        self._label = ""

    def start(self, label: str, total: int) -> None:
        self.close()
        self._label, self._total, self._done = label, total, 0
        if self.bar:
            self._tqdm = tqdm(total=total, desc=f"fetch {label}", unit="page", file=self.stream, leave=True)

    def advance(self, kind: str, url: str, detail: str = "") -> None:
        self._done += 1
        if self._tqdm is not None:
            self._tqdm.update(1)
            if kind == "failed":
                self._tqdm.write(f"failed {url}: {detail}", file=self.stream)
        elif not self.quiet:
            tail = f" ({detail})" if detail else ""
            print(f"fetch {self._label} [{self._done}/{self._total}] {kind} {url}{tail}", file=self.stream,
                  flush=True)

    def note(self, text: str) -> None:
        if self._tqdm is not None:
            self._tqdm.write(text, file=self.stream)
        elif not self.quiet:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
