"""Every bad input of the table below: one line on stderr naming the problem and the fix, a non-zero exit, no
traceback, nothing written. All run in this process through the CLI's main() (each fails before any work)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from gengo_pipeline.cli.main import main
from gengo_pipeline.models import resolve

GEN = ["gen", "--model", "ecommerce", "--no-progress"]
PLAN = ["plan", "--model", "ecommerce"]


def _tables(d, name):
    return next(t for t in d["tables"] if t["name"] == name)


def _column(d, table, name):
    return next(c for c in _tables(d, table)["columns"] if c["name"] == name)


def _first_ref(d):
    return next(c for t in d["tables"] for c in t["columns"] if c["gen"].get("kind") == "ref")


# name -> how the model description is damaged
MODEL_DEFECTS = {
    "duplicate_table": lambda d: d["tables"].append(copy.deepcopy(d["tables"][0])),
    "empty_table_name": lambda d: d["tables"][0].update(name=""),
    "nul_in_name": lambda d: d["tables"][0]["columns"][1].update(name="a\x00b"),
    "duplicate_column": lambda d: d["tables"][0]["columns"].append(copy.deepcopy(d["tables"][0]["columns"][0])),
    "unknown_type": lambda d: d["tables"][0]["columns"][1].update(type="money2"),
    "unknown_generator": lambda d: d["tables"][0]["columns"][1]["gen"].update(kind="nope"),
    "negative_static_rows": lambda d: d["tables"][0]["volume"].update(rows=-5),
    "huge_static_table": lambda d: d["tables"][0]["volume"].update(rows=1e12),
    "missing_referenced_table": lambda d: _first_ref(d)["gen"].update(table="nope"),
    "volume_parent_cycle": lambda d: (_tables(d, "fact_orders_header").update(volume={"kind": "per_parent", "parent": "fact_order_items",
                                                                                        "block": 1, "total": 1, "min": 1, "max": 1}),
                                      _tables(d, "fact_order_items")["volume"].update(parent="fact_orders_header")),
    "missing_column": lambda d: _tables(d, "fact_order_items")["columns"][4]["gen"].update(kind="derive", expr="quantity2 * 2"),
    "negative_param_default": lambda d: d["params"].update(orders_per_day=-5.0),
    "missing_attr_column": lambda d: _column(d, "fact_order_items", "unit_price")["gen"].update(column="nope"),
    "missing_parent_attr_column": lambda d: next(c for c in _tables(d, "dim_customer_addresses")["columns"]
                                                 if c["gen"]["kind"] == "parent_attr")["gen"].update(column="nope"),
    "missing_key_column": lambda d: _tables(d, "dim_customers").update(key="nope"),
    "missing_not_null_column": lambda d: _tables(d, "dim_customers").update(not_null=["nope"]),
    "missing_sizing_table": lambda d: d.update(sizing_table="nope"),
    "missing_distribution_table": lambda d: d["distributions"][0].update(table="nope"),
    "no_tables": lambda d: d.update(tables=[]),
    "no_columns": lambda d: _tables(d, "dim_suppliers").update(columns=[]),
    "unknown_param_reference": lambda d: _first_ref(d)["gen"].update(skew="$nope"),
    "negative_weight": lambda d: _column(d, "dim_suppliers", "country")["gen"]["values"][0].__setitem__(1, -34),
    "negative_weekday_factor": lambda d: _tables(d, "dim_customers")["volume"]["weekday"].__setitem__(0, -1.0),
    "negative_month_factor": lambda d: _tables(d, "fact_orders_header")["volume"]["seasonality"]["monthly"].__setitem__(0, -1.0),
    "nan_month_factor": lambda d: _tables(d, "fact_orders_header")["volume"]["seasonality"]["monthly"].__setitem__(0, float("nan")),
    "negative_pmf": lambda d: _tables(d, "fact_order_items")["volume"]["pmf"].__setitem__(0, -0.34),
    "short_pmf": lambda d: _tables(d, "fact_order_items")["volume"].update(pmf=[0.5, 0.5]),
    "impossible_composition": lambda d: _tables(d, "fact_order_items")["volume"].update(min=5, max=2),
    "negative_noise": lambda d: _tables(d, "dim_customers")["volume"].update(noise=-1),
    "negative_rate": lambda d: _tables(d, "fact_orders_header")["volume"].update(rate=-5),
    "negative_skew": lambda d: _first_ref(d)["gen"].update(skew=-3),
    "skew_of_one": lambda d: _first_ref(d)["gen"].update(skew=1.0),
    "infinite_skew": lambda d: _first_ref(d)["gen"].update(skew=float("inf")),
}

CASES = {  # name -> (argv, the words the message must hold); {out} and {model:NAME} are filled in
    "scale_inf": (PLAN + ["--scale", "inf", "--days", "2"], "--scale"),
    "scale_nan": (GEN + ["--scale", "nan", "--days", "1", "--out", "{out}"], "--scale"),
    "scale_1e17": (GEN + ["--scale", "1e17", "--days", "1", "--out", "{out}"], "--scale"),
    "param_negative": (PLAN + ["--days", "1", "--set", "orders_per_day=-5"], "orders_per_day"),
    "param_skew_too_big": (PLAN + ["--days", "1", "--set", "customer_skew=1.5"], "customer_skew"),
    "size_100TB": (GEN + ["--size", "100TB", "--workers", "1", "--force", "--out", "{out}"], "--size 100TB needs a daily scale"),
    "size_1e400": (GEN + ["--size", "1e400", "--out", "{out}"], "--size"),
    "plan_size_1e30": (PLAN + ["--size", "1e30"], "--size"),
    "size_beyond_free_disk": (GEN + ["--size", "900TB", "--out", "{out}"], "--force"),
    "workers_0": (GEN + ["--days", "1", "--scale", "0.01", "--workers", "0", "--out", "{out}"], "--workers"),
    "out_empty": (GEN + ["--days", "1", "--scale", "0.01", "--out", ""], "--out"),
    "origin_9999": (PLAN + ["--origin", "9999-12-30", "--days", "5"], "--origin"),
    "window_past_2199": (GEN + ["--origin", "2199-12-01", "--days", "60", "--scale", "0.01", "--out", "{out}"], "ends after"),
    "days_0": (GEN + ["--days", "0", "--out", "{out}"], "--days"),
    "memory_limit_lots": (["validate", "--input", "{out}", "--memory-limit", "lots"], "--memory-limit"),
    "parent_without_rows": (GEN + ["--seed", "7", "--days", "1", "--scale", "0.01", "--out", "{out}"], "dim_suppliers has no rows yet on 2024-01-01"),
    **{f"model_{n}": (["gen", "--model", "{model:" + n + "}", "--days", "2", "--scale", "0.05", "--no-progress", "--out", "{out}"], "")
       for n in MODEL_DEFECTS},
}


@pytest.fixture(scope="module")
def model_files(tmp_path_factory) -> dict[str, Path]:
    base = json.loads(resolve("ecommerce").model_dump_json())
    folder = tmp_path_factory.mktemp("bad-models")
    out = {}
    for name, damage in MODEL_DEFECTS.items():
        doc = copy.deepcopy(base)
        damage(doc)
        out[name] = folder / f"{name}.json"
        out[name].write_text(json.dumps(doc))
    return out


def test_bad_input_is_one_line_and_writes_nothing(model_files, tmp_path, capsys):
    problems = []
    for name, (argv, words) in CASES.items():
        out = tmp_path / name
        args = [a.replace("{out}", str(out)) for a in argv]
        args = [str(model_files[a[7:-1]]) if a.startswith("{model:") else a for a in args]
        code = main(args)
        captured = capsys.readouterr()
        err = captured.err
        lines = [x for x in err.splitlines() if x.strip()]
        if code == 0 or len(lines) != 1 or not lines[0].startswith("gengo: error: ") or "Traceback" in err or words not in err:
            problems.append(f"{name}: exit {code}, stderr {err!r}")
        elif "; " not in lines[0]:  # problem; fix
            problems.append(f"{name}: no fix in {lines[0]!r}")
        if out.exists() and any(out.rglob("*")):
            problems.append(f"{name}: wrote {sorted(str(p.relative_to(out)) for p in out.rglob('*'))[:5]}")
    assert not problems, "\n".join(problems)


def test_version_names_the_release_and_the_output_version(capsys):
    from gengo_pipeline.engine import OUTPUT_VERSION

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip().endswith(f"(output version {OUTPUT_VERSION})")


def test_workers_beyond_the_cores_are_lowered_with_a_warning():
    import os

    from gengo_pipeline.run.limits import workers_for_memory

    warnings = []
    cores = len(os.sched_getaffinity(0))
    got = workers_for_memory(cores + 7, warnings.append)
    assert 1 <= got <= cores and len(warnings) == 1 and f"--workers {cores + 7} lowered to {got}" in warnings[0]
    assert workers_for_memory(1, warnings.append) == 1 and len(warnings) == 1  # one worker: no warning
