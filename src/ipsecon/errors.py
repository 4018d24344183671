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
            where += f": {self.path}"
        text = f"{where}: {self.problem}"
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text

    def within(self, file: str | None = None, prefix: str | None = None) -> "InputError":
        """The same error, located inside a file and/or under a field prefix."""
        path = self.path
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        return InputError(file or self.file, path, self.problem, self.allowed)
