"""One error hierarchy for localmig.

Every error a user can cause (bad path, broken revision file, Ollama not running...) is a
:class:`LocalmigError` with a message written for that user, an optional hint saying what to do,
and the exit code the CLI uses. Front ends print ``str(error)`` and ``error.hint``; they never
show a traceback for these.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``localmig`` command (documented in the README)."""

    OK = 0
    PROBLEMS = 1  # check found stale/missing/failing tests, or a generated test is broken
    USAGE = 2  # bad option, bad configuration file
    PROJECT = 3  # not an Alembic project, broken revision files
    CAPTURE = 4  # the scratch database could not be used, env.py ignores the URL
    MODEL = 5  # Ollama unreachable, model missing, timeout, answer invalid after repairs
    NOT_VERIFIED = 6  # a revision's tests could not be planned, rendered or run (not collected, not run)
    INTERRUPTED = 130


class LocalmigError(Exception):
    """Base of every error localmig reports to a user."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(LocalmigError):
    """A configuration file or option is invalid (models.yaml, prompts/, CLI options)."""

    exit_code = ExitCode.USAGE


class ProjectError(LocalmigError):
    """The path is not a usable Alembic project, or its history is broken."""

    exit_code = ExitCode.PROJECT

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        location = f"{file}:{line}" if file and line else file
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.file = file
        self.line = line


class CaptureError(LocalmigError):
    """Running migrations on the scratch database failed for a reason outside the history."""

    exit_code = ExitCode.CAPTURE


class ModelError(LocalmigError):
    """Talking to the model failed: unreachable, missing, too slow, or kept answering badly."""

    exit_code = ExitCode.MODEL


class ModelUnavailable(ModelError):
    """Ollama is not reachable at the configured host."""


class ModelNotPulled(ModelError):
    """Ollama runs but does not have the model."""


class ModelTimeout(ModelError):
    """The model did not answer within the profile's timeout."""


class HostRefused(ModelError):
    """The configured Ollama host is not loopback and remote hosts are not allowed."""


class PromptTooLarge(ModelError):
    """The prompt does not fit the model's context even after cutting optional parts."""


class AnswerInvalid(ModelError):
    """The model's answer stayed invalid after the allowed repair rounds."""


class CacheMiss(ModelError):
    """``--replay-only`` was asked and the answer cache has no entry for this prompt."""


class Cancelled(LocalmigError):
    """The user cancelled the work in progress (the TUI's Esc); finished results are kept."""

    exit_code = ExitCode.INTERRUPTED


class VerifyError(LocalmigError):
    """The generated suite could not be run at all (pytest missing, crash before collection)."""

    exit_code = ExitCode.PROBLEMS
