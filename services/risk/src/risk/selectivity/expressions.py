"""Criteria in CEL (Common Expression Language, `cel-python`): safe, side-effect free, standard.

A criterion sees three variables: `level` (the EPE's risk level or null), `indicators` (a map
of indicator name to value) and `recent` (counts from recent data). An expression naming any
other variable, or not parsing, is refused when proposed; one that fails on an EPE's data
(a missing indicator, a division by zero) does not hit and its error is recorded.
"""

from __future__ import annotations

from typing import Any

import celpy
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.celtypes import BoolType
from celpy.evaluation import CELEvalError

VARIABLES = ("level", "indicators", "recent")
_env = celpy.Environment()


def _activation(inputs: dict[str, Any]) -> dict[str, Any]:
    return {name: json_to_cel(value) for name, value in inputs.items()}


_SAMPLE = _activation({"level": "green", "indicators": {}, "recent": {}})


class InvalidExpression(ValueError):
    """The expression does not parse or names an unknown variable."""


def compile_expression(expression: str) -> celpy.Runner:
    """A runnable program, or InvalidExpression saying why."""
    try:
        return _env.program(_env.compile(expression))
    except CELParseError as exc:
        raise InvalidExpression(f"not a CEL expression: {str(exc).splitlines()[0]}") from exc


def check_expression(expression: str) -> None:
    """Refuse what does not parse, or names a variable outside VARIABLES."""
    program = compile_expression(expression)
    try:
        program.evaluate(_SAMPLE)
    except CELEvalError as exc:
        if "undeclared reference" in str(exc.args[0] if exc.args else exc):
            raise InvalidExpression(f"unknown variable; use {', '.join(VARIABLES)}") from exc
    except Exception:  # noqa: S110 -- other runtime failures depend on the EPE's data
        pass


def evaluate(program: celpy.Runner, inputs: dict[str, Any]) -> bool | str:
    """True or False, or the error text when the expression fails on these inputs."""
    try:
        result = program.evaluate(_activation(inputs))
    except Exception as exc:
        return f"evaluation failed: {type(exc).__name__}"
    if isinstance(result, BoolType | bool):
        return bool(result)
    if isinstance(result, CELEvalError):
        return "evaluation failed"
    return "not a boolean"
