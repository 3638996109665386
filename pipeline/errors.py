"""Errors that jtopics reports to users as one line, without a traceback."""

from __future__ import annotations


class JTopicsError(Exception):
    """Base class: a problem the user can fix. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class UsageError(JTopicsError):
    """Bad parameters or a missing input path (exit code 2)."""

    exit_code = 2


class InputFileError(JTopicsError):
    """One input file cannot be read as an article; its name starts the message."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class TaxonomyError(JTopicsError):
    """The theme taxonomy file is invalid."""

    exit_code = 2
