"""The safe expression language of `derive`: arithmetic over a row's columns, checked before it runs.

An expression is parsed to a Python AST and every node is checked against a whitelist: names, numbers,
strings, arithmetic, comparison and bitwise operators, and calls of the helpers below by name. Attribute
access, subscripts, lambdas, comprehensions, keywords, dunder names and calls of anything else are refused
with the place they occur, so a model file from someone else cannot run code. Custom code enters only
through an installed plugin (the `custom` generator).
"""
from __future__ import annotations

import ast
from types import CodeType
from typing import Callable

import numpy as np


def _round(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)  # half away from zero, as SQL rounds money


HELPERS: dict[str, Callable] = {
    "round": _round, "floor": np.floor, "ceil": np.ceil, "abs": np.abs, "min": np.minimum, "max": np.maximum,
    "where": np.where, "clip": np.clip, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "int": lambda x: np.asarray(x).astype(np.int64),
}
# names a row defines besides its columns and the model's parameters
ROW_NAMES = ("day", "epoch_day", "snapshot_day")

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr,
              ast.BitXor, ast.LShift, ast.RShift, ast.USub, ast.UAdd, ast.Invert,
              ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_MAX_POWER = 64  # a constant exponent at most this large: `9 ** 9 ** 9` would compute for ever


class ExpressionError(ValueError):
    """An expression outside the language; the message names what and where (column of the text)."""


class Expression:
    """A checked expression: `names` are the free names it reads (columns, parameters, row names)."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as e:
            raise ExpressionError(f"bad expression {text!r}: {e.msg} at column {e.offset}") from None
        names: list[str] = []
        for node in ast.walk(tree):
            self._check(node, names)
        self.names = list(dict.fromkeys(names))
        self.code: CodeType = compile(tree, "<derive>", "eval")

    def _refuse(self, node: ast.AST, what: str, fix: str) -> None:
        col = getattr(node, "col_offset", 0) + 1
        raise ExpressionError(f"{what} is not allowed in expression {self.text!r} (at column {col}); {fix}")

    def _check(self, node: ast.AST, names: list[str]) -> None:
        if isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Load) + _OPERATORS):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                e = node.right
                small = isinstance(e, ast.Constant) and isinstance(e.value, (int, float)) and abs(e.value) <= _MAX_POWER
                if not (small or isinstance(e, ast.Name)):
                    self._refuse(e, "an exponent other than a column or a number up to 64", "compute it in another column")
            return
        if isinstance(node, ast.Compare):
            if len(node.ops) > 1:
                self._refuse(node, "a chained comparison", "write (a < b) & (b < c)")
            return
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bool, int, float, str)):
                return
            self._refuse(node, f"the constant {node.value!r}", "use numbers or strings")
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                self._refuse(node, f"the dunder name {node.id!r}", "use column names")
            if node.id not in HELPERS:
                names.append(node.id)
            return
        if isinstance(node, ast.Call):
            fn = node.func
            if not (isinstance(fn, ast.Name) and fn.id in HELPERS):
                called = fn.id if isinstance(fn, ast.Name) else ast.unparse(fn)
                self._refuse(node, f"a call of {called!r}", f"call only {', '.join(HELPERS)}")
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                self._refuse(node, f"a keyword or * argument of {fn.id}", "pass the arguments by position")
            return
        if isinstance(node, ast.Attribute):
            self._refuse(node, f"attribute access {ast.unparse(node)!r}", "use column names and the helpers")
        if isinstance(node, ast.BoolOp):
            self._refuse(node, "'and'/'or'", "use & and | on comparisons in parentheses")
        if isinstance(node, ast.Not):
            self._refuse(node, "'not'", "use ~ on a comparison in parentheses")
        if isinstance(node, ast.IfExp):
            self._refuse(node, "'x if c else y'", "use where(c, x, y)")
        self._refuse(node, f"{type(node).__name__} ({ast.unparse(node)!r})", "use names, numbers, operators and the helpers")

    def evaluate(self, scope: dict):
        """The value over the names in `scope`; no builtins, only the helpers."""
        return eval(self.code, {"__builtins__": {}}, {**HELPERS, **scope})  # noqa: S307 - a checked AST
