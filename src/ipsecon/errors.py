"""One error type for bad input, so the CLI can print one clear line and exit 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input: names the file, the field path, what is wrong and what is allowed."""

    def __init__(self, file: str | None, path: str | None, problem: str, allowed: str | None = None):
        self.file = str(file) if file is not None else None
        self.path = path
        self.problem = problem
        self.allowed = allowed
        super().__init__(self.message())

    def message(self) -> str:
        where = self.file or "<input>"
        if self.path:
            where += f": {_cut(self.path, 160)}"
        # a safety net: whatever a message quotes from the input, the line stays readable
        text = f"{where}: {_cut(self.problem, 300)}"
        if self.allowed:
            text += f" (allowed: {_cut(self.allowed, 800)})"
        return text

    def within(self, file: str | None = None, prefix: str | None = None) -> "InputError":
        """The same error, located inside a file and/or under a field prefix."""
        path = self.path
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        return InputError(file or self.file, path, self.problem, self.allowed)


def excerpt(value: object, width: int = 80) -> str:
    """``repr(value)``, cut to ``width`` characters: how a message quotes a piece of input."""
    return _cut(repr(value), width)


def _cut(text: str, width: int) -> str:
    text = str(text).replace("\r", " ").replace("\n", " ")  # one line, whatever the input held
    return text if len(text) <= width else text[:width - 3] + "..."
