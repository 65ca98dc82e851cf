"""`derive`'s safe expression language: the helpers compute what they say; anything that could run code is
refused when the model is loaded, with the table, column and place in the text."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gengo_pipeline.engine.expr import Expression, ExpressionError
from gengo_pipeline.engine.runtime import Engine
from gengo_pipeline.engine.spec import Model
from gengo_pipeline.errors import UnknownModelError
from gengo_pipeline.models import resolve


def _model(derived: dict[str, str], params: dict | None = None) -> dict:
    cols = [{"name": "id", "type": "int64", "gen": {"kind": "key"}},
            {"name": "x", "type": "float64", "gen": {"kind": "normal", "mean": 0, "sd": 10}},
            {"name": "y", "type": "float64", "gen": {"kind": "uniform", "low": -5, "high": 5}}]
    cols += [{"name": n, "type": "float64", "gen": {"kind": "derive", "expr": e}} for n, e in derived.items()]
    return {"name": "exprs", "params": params or {}, "tables": [
        {"name": "t", "key": "id", "partitioned": False, "volume": {"kind": "static", "rows": 500}, "columns": cols}]}


HELPERS = {"lo": "min(x, y)", "hi": "max(x, y)", "fl": "floor(x)", "ce": "ceil(x)", "ab": "abs(x)", "ro": "round(x)",
           "wh": "where(x > y, 1, 0)", "cl": "clip(x, -1, 1)", "ex": "exp(y)", "lg": "log(abs(x) + 1)",
           "sq": "sqrt(abs(y))", "it": "int(x)", "ar": "(x * 3 - y) // 2 % 5 + -x ** 2 + scale_by * day",
           "bits": "(x > 0) & (y > 0) | ~(x < -20)"}


def test_helpers_compute_what_they_name():
    engine = Engine(Model.model_validate(_model(HELPERS, params={"scale_by": 2.0})), seed=11)
    f = engine.table("t").frame(0, 500)
    x, y = f["x"].to_numpy(), f["y"].to_numpy()
    assert np.ptp(x) > 10 and (x < 0).any() and (x > 0).any()  # the inputs exercise both signs
    expected = {"lo": np.minimum(x, y), "hi": np.maximum(x, y), "fl": np.floor(x), "ce": np.ceil(x), "ab": np.abs(x),
                "ro": np.sign(x) * np.floor(np.abs(x) + 0.5), "wh": (x > y).astype(float), "cl": np.clip(x, -1, 1),
                "ex": np.exp(y), "lg": np.log(np.abs(x) + 1), "sq": np.sqrt(np.abs(y)), "it": x.astype(np.int64),
                "ar": (x * 3 - y) // 2 % 5 - x ** 2, "bits": ((x > 0) & (y > 0)) | ~(x < -20)}
    for name, want in expected.items():
        assert np.array_equal(f[name].to_numpy(), np.asarray(want, dtype=np.float64)), name


def test_round_is_half_away_from_zero_as_sql_rounds_money():
    v = np.array([0.5, -0.5, 1.5, -2.5, 2.4999])
    assert Expression("round(v)").evaluate({"v": v}).tolist() == [1, -1, 2, -3, 2]
    assert Expression("min(v, 0) + max(v, 0)").evaluate({"v": v}).tolist() == v.tolist()


@pytest.mark.parametrize("expr, refused", [
    ("x.__class__", "attribute access 'x.__class__'"),
    ("x.real", "attribute access 'x.real'"),
    ("__import__", "the dunder name '__import__'"),
    ("__builtins__", "the dunder name '__builtins__'"),
    ("open('/etc/passwd')", "a call of 'open'"),
    ("eval('1')", "a call of 'eval'"),
    ("(lambda: 1)()", "a call of"),
    ("x[0]", "Subscript"),
    ("[v for v in x]", "ListComp"),
    ("max(x, key=y)", "a keyword or * argument of max"),
    ("x if y else 1", "use where(c, x, y)"),
    ("x and y", "'and'/'or'"),
    ("not x", "'not'"),
    ("0 < x < 1", "a chained comparison"),
    ("9 ** 9 ** 9", "an exponent"),
    ("x +", "bad expression"),
])
def test_expressions_outside_the_language_are_refused(expr: str, refused: str):
    with pytest.raises(ExpressionError) as e:
        Expression(expr)
    assert refused in str(e.value) and expr.strip() in str(e.value)


def test_a_model_file_with_code_in_an_expression_is_refused_at_load(tmp_path: Path):
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(_model({"ok": "abs(x)", "evil": "x.__class__.__bases__"})))
    with pytest.raises(UnknownModelError) as e:
        resolve(str(path))
    msg = str(e.value)
    assert str(path) in msg and "tables['t'].columns['evil']" in msg and "attribute access" in msg and "column 1" in msg
    assert "\n" not in msg


def test_an_expression_naming_no_column_is_refused_at_load(tmp_path: Path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(_model({"z": "floor(x) + yy"})))
    with pytest.raises(UnknownModelError, match=r"tables\['t'\]\.columns\['z'\]\.gen\.expr: unknown name 'yy'"):
        resolve(str(path))


def test_every_builtin_expression_is_in_the_language():
    from gengo_pipeline.models import builtin_models

    exprs = [c.expression for m in builtin_models().values() for t in m.tables for c in t.columns if c.expression]
    assert len(exprs) > 100 and all(e.names for e in exprs)
