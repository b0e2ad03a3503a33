"""The ``--metadata MODULE:ATTR`` of localmig's built-in env.py, checked before the capture."""

from __future__ import annotations

import importlib

from ..errors import ConfigError


def check_metadata(spec: str) -> None:
    """Import ``module:attribute`` (``--metadata``) and check it is a SQLAlchemy MetaData, so a
    bad value is a usage error before the capture, not a failed first migration."""
    import sqlalchemy as sa

    hint = "give MODULE:ATTRIBUTE of a sqlalchemy MetaData importable from the project, e.g. app.models:Base.metadata"
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise ConfigError(f"--metadata {spec!r} is not of the form MODULE:ATTRIBUTE", hint=hint)
    try:
        value = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:
        what = f"no module named {error.name!r}" if isinstance(error, ModuleNotFoundError) else (
            f"{type(error).__name__}: {error}")
        raise ConfigError(f"--metadata {spec!r}: cannot import {module_name!r} ({what})", hint=hint) from None
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ConfigError(f"--metadata {spec!r}: {module_name} has no attribute {attribute!r}", hint=hint)
        value = getattr(value, part)
    if not isinstance(value, sa.MetaData):
        raise ConfigError(f"--metadata {spec!r} is a {type(value).__name__}, not a sqlalchemy MetaData", hint=hint)
