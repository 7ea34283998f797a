"""Converting the command line's simple values without pydantic.

typer (0.2x) converts every parameter's value, defaults included, through a pydantic
TypeAdapter: running any command imported pydantic and built adapters, about 0.13 s before the
command did anything, which `validate` and `plan` of a large policy need nowhere else
(issue 11). The values here are simple (text, flags, whole numbers, paths and lists of them),
and the conversion of a well-formed one is plain Python: `plain_value` does it, and anything
else (a malformed number, a type it does not know) goes to typer's own conversion, so that
errors read exactly as typer words them. tests/test_cli_conventions.py checks that both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # typer's own conversion (typer 0.2x); older typers convert without pydantic already
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # pragma: no cover - depends on the installed typer
    RuntimeParam = None  # type: ignore[assignment,misc]

UNSURE = object()  # plain_value cannot tell: typer converts it
_INT = re.compile(r"-?[1-9][0-9]{0,17}|0")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_PATHS = list[Path]
_TEXTS = list[str]


def plain_value(annotation: Any, value: Any) -> Any:
    """`value` converted to `annotation` as typer would, or UNSURE."""
    if annotation is str:
        return value if type(value) is str else UNSURE
    if annotation is bool:
        return value if type(value) is bool else UNSURE
    if annotation is int:
        if type(value) is int:
            return value
        return int(value) if type(value) is str and _INT.fullmatch(value) else UNSURE
    if annotation is float:
        if type(value) is float:
            return value
        if type(value) is int or (type(value) is str and _DECIMAL.fullmatch(value)):
            return float(value)
        return UNSURE
    if annotation is Path:
        return _path(value)
    if annotation in (_PATHS, _TEXTS):
        if type(value) not in (list, tuple):
            return UNSURE
        convert = _path if annotation == _PATHS else (lambda v: v if type(v) is str else UNSURE)
        items = [convert(item) for item in value]
        return UNSURE if any(item is UNSURE for item in items) else items
    return UNSURE


def _path(value: Any) -> Any:
    if isinstance(value, Path):
        return value
    return Path(value) if type(value) is str and value else UNSURE


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _PlainParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """typer's runtime conversion of one parameter, plain where the value allows."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            converted = plain_value(self.annotation, value)
            if converted is not UNSURE:
                return converted
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def convert_plainly(params: list[Any]) -> None:
    """Give each of these click parameters the plain conversion (typer's is kept for what it
    does not cover)."""
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or not hasattr(param, "_runtime_param") or descriptor.is_file \
                or descriptor.is_choice or descriptor.is_ranged:
            continue
        param._runtime_param = _PlainParam(parameter_info=descriptor.parameter_info,
                                           annotation=descriptor.annotation)


__all__ = ["UNSURE", "convert_plainly", "plain_value"]
