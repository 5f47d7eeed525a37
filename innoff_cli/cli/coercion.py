"""Option and argument values read without Pydantic.

Typer 0.27 and later read every value given on the command line through a
Pydantic TypeAdapter. Importing pydantic and building the adapters costs
0.12-0.16 s on each command that takes any option or argument: more than the
rest of innoff's start-up, and 40 % of a 100,000-row attendance import's
budget. innoff's values are text, paths, numbers (some with a range), choices
(Literal) and flags, which need no schema: they are read here, with Click's
words for a bad value. Any other kind of value is left to Typer, and so is
everything when Typer's internals are not the ones this was written against
(the fallback is slower, never different).
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

_RANGED = (int, float)
_NUMBER_WORDS = {int: "integer", float: "number"}


class PlainValue:
    """Typer's RuntimeParam contract (`coerce(value, param, ctx)`) for one parameter."""

    def __init__(self, read, many: bool):
        self.read, self.many = read, many

    def coerce(self, value: Any, param, ctx) -> Any:
        from typer._click.exceptions import BadParameter

        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        if multi and isinstance(value, str):
            raise BadParameter("Value must be an iterable.", ctx=ctx, param=param)
        try:
            if self.many and isinstance(value, (list, tuple)):
                return [self.read(item, param, ctx) for item in value]
            return self.read(value, param, ctx)
        except ValueError as error:
            raise BadParameter(str(error), ctx=ctx, param=param) from None


def plain_value(descriptor) -> PlainValue | None:
    """A reader for the parameter `descriptor` describes, or None for Typer's own."""
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return None
    many = typing.get_origin(annotation) is list
    if many:
        (annotation,) = typing.get_args(annotation) or (None,)
    read = _reader(annotation, info)
    return PlainValue(read, many) if read is not None else None


def _reader(annotation, info):
    if annotation is str:
        return lambda value, param, ctx: value if isinstance(value, str) else _text(value)
    if annotation is bool:
        return _flag
    if annotation in _RANGED and not info.clamp:
        return _number(annotation, info.min, info.max)
    if typing.get_origin(annotation) is typing.Literal:
        choices = typing.get_args(annotation)
        if all(isinstance(choice, str) for choice in choices):
            return _choice(choices, info.case_sensitive)
        return None
    if annotation is Path:
        return _path(info)
    return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):  # an argument the OS gave as bytes
        import os

        return os.fsdecode(value)
    return str(value)


def _flag(value, param, ctx):
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "t", "yes", "y", "on"):
        return True
    if word in ("", "0", "false", "f", "no", "n", "off"):
        return False
    raise ValueError(f"{value!r} is not a valid boolean.")


def _number(kind: type, low, high):
    bounds = (
        f"{low}<=x<={high}" if low is not None and high is not None
        else f"x>={low}" if low is not None else f"x<={high}"
    )  # fmt: skip

    def read(value, param, ctx):
        if isinstance(value, kind) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = kind(str(value).strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a valid {_NUMBER_WORDS[kind]}.") from None
        if (low is not None or high is not None) and not (
            (low is None or number >= low) and (high is None or number <= high)
        ):  # NaN is in no range
            raise ValueError(f"{value} is not in the range {bounds}.")
        return number

    return read


def _choice(choices: tuple[str, ...], case_sensitive: bool):
    def read(value, param, ctx):
        from typer._param_types import coerce_cli_choice

        return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)

    return read


def _path(info):
    def read(value, param, ctx):
        from typer._param_types import coerce_cli_path

        # Given as a Path, Typer's own checks (exists, readable, file or folder)
        # run as they always do, without building an adapter first.
        given = value if isinstance(value, Path) else Path(_text(value))
        return coerce_cli_path(given, info, path_type=Path, param=param, ctx=ctx)

    return read


def install() -> None:
    """Parameters read their values here first (Typer's internals permitting)."""
    try:
        from typer._coercion import build_runtime_param  # noqa: F401  (the seam this replaces)
        from typer.core import _TyperParameter
    except ImportError:  # a Typer without Pydantic coercion: nothing to spare
        return
    if not hasattr(_TyperParameter, "get_runtime_param"):
        return
    typers_own = _TyperParameter.get_runtime_param

    def get_runtime_param(self):
        if getattr(self, "_runtime_param", None) is None:
            descriptor = getattr(self, "type_descriptor", None)
            plain = plain_value(descriptor) if descriptor is not None else None
            if plain is not None:
                self._runtime_param = plain
        return typers_own(self)

    _TyperParameter.get_runtime_param = get_runtime_param
