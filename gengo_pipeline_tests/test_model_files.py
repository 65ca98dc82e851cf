"""Model files: every built-in model printed by `gengo models show` as YAML, TOML or JSON is the same model,
and `gengo gen --model FILE` on the YAML writes the golden checksums' bytes; malformed files are refused with
the file and the field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gengo_pipeline.cli.main import main
from gengo_pipeline.models import resolve

from .conftest import file_hashes, gengo
from .test_golden import ARGS, GOLDEN, MODELS


def show(capsys, model: str, fmt: str) -> str:
    assert main(["models", "show", model, "--format", fmt]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_every_builtin_model_prints_as_a_file_of_the_same_model(tmp_path: Path, capsys, fmt: str):
    for name in MODELS:
        path = tmp_path / f"{name}.{fmt}"
        path.write_text(show(capsys, name, fmt))
        assert resolve(str(path)) == resolve(name), (name, fmt)


@pytest.mark.parametrize("model", MODELS)
def test_gen_from_the_printed_file_writes_the_same_bytes(tmp_path: Path, capsys, model: str):
    path = tmp_path / "model.yaml"
    path.write_text(show(capsys, model, "yaml"))
    args = list(ARGS)
    args[args.index("--format") + 1] = "parquet"  # the golden run's Parquet files: the formats encode the same rows
    gengo("gen", "--model", str(path), *args, "--out", str(tmp_path / "out"))
    got = file_hashes(tmp_path / "out" / model)
    want = {k: v for k, v in json.loads(GOLDEN.read_text())[model].items() if k.startswith("parquet/")}
    assert len(got) > 2 and got == want


def test_a_malformed_model_file_names_the_file_and_the_field(tmp_path: Path, capsys):
    table = resolve("medical").tables[1].name
    path = tmp_path / "broken.yaml"
    text = show(capsys, "medical", "yaml")
    assert f"\n- name: {table}\n" in text
    path.write_text(text.replace(f"\n- name: {table}\n", f"\n- name: {table}\n  rows_typo: 3\n", 1))
    out = tmp_path / "out"
    assert main(["gen", "--model", str(path), "--days", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and str(path) in err
    assert f"tables[{table!r}].rows_typo: Extra inputs are not permitted" in err
    assert not out.exists()
    path.write_text("name: [unclosed\n")
    assert main(["gen", "--model", str(path), "--days", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "while parsing" in err and len(err.strip().splitlines()) == 1



def test_the_json_schema_accepts_the_builtin_models_and_types_each_generator(capsys):
    import jsonschema

    assert main(["schema"]) == 0
    validator = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    for name in ("ecommerce", "financial", "medical"):  # ecommerce-ds's 646 columns take jsonschema 5 s: the same kinds
        data = resolve(name).model_dump(mode="json")
        assert not list(validator.iter_errors(data)), name
    data = {"name": "tiny", "tables": [{"name": "t", "volume": {"kind": "static", "rows": 5}, "columns": [{}]}]}
    for bad in ({"kind": "unifrm"}, {"kind": "uniform", "lo": 1}, {"kind": "uniform_int", "low": 1},
                {"kind": "derive", "expr": 3}, {"low": 1}):
        data["tables"][0]["columns"][0] = {"name": "x", "type": "float64", "gen": bad}
        errors = list(validator.iter_errors(data))
        assert errors and all(list(e.absolute_path)[:5] == ["tables", 0, "columns", 0, "gen"] for e in errors), bad
    data["tables"][0]["columns"][0]["gen"] = {"kind": "uniform_int", "low": 1, "high": "$top"}
    assert not list(validator.iter_errors(data))


@pytest.mark.parametrize("gen, problem", [
    ({"kind": "uniform", "lo": 1}, "gen: bad uniform generator (lo: Extra inputs are not permitted)"),
    ({"kind": "uniform_int", "low": 1}, "gen: bad uniform_int generator (high: Field required)"),
    ({"kind": "normal", "mean": 1, "sd": [2]}, "gen: bad normal generator (sd."),
    ({"kind": "unifrm"}, "gen: unknown generator kind 'unifrm'; use one of attr, bernoulli"),
    ({"low": 1}, "gen: unknown generator kind None"),
    ({"kind": "derive", "expr": "x.__class__"}, "gen: bad derive generator (expr: attribute access 'x.__class__'"),
])
def test_every_generator_field_is_checked_at_load(tmp_path: Path, gen: dict, problem: str):
    from gengo_pipeline.errors import UnknownModelError

    data = {"name": "tiny", "tables": [{"name": "t", "partitioned": False, "volume": {"kind": "static", "rows": 5},
                                        "columns": [{"name": "id", "type": "int64", "gen": {"kind": "key"}},
                                                    {"name": "x", "type": "float64", "gen": gen}]}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UnknownModelError) as e:
        resolve(str(path))
    assert f"model file {path} is not a valid model description (tables['t'].columns['x'].{problem}" in str(e.value)


GUIDE = Path(__file__).resolve().parents[1] / "docs" / "model-guide.md"


def test_the_guides_model_generates_and_validates_and_its_error_is_the_one_shown(tmp_path: Path, capsys):
    import re

    text = GUIDE.read_text()
    model = tmp_path / "tiny-shop.yaml"
    model.write_text(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    out = tmp_path / "data"
    gengo("gen", "--model", str(model), "--days", "7", "--format", "parquet", "--out", str(out), "--no-progress")
    report = tmp_path / "report.json"
    assert main(["validate", "--input", str(out / "tiny-shop"), "--model", str(model), "--json", str(report)]) == 0
    results = json.loads(report.read_text())["results"]
    assert all(r["status"] == "pass" for r in results) and len(results) > 30
    checks = {(r["table"], r["check"], r["column"]) for r in results}
    assert {("orders", "one item in a quarter of the orders", "quantity"), ("orders", "totals add up", "total = quantity * unit_price")} <= checks
    assert {c for t, _, c in checks if t == "orders"} >= {"customer_id", "product_id"}  # the foreign keys, by anti-join

    broken = tmp_path / "broken.yaml"  # the rule is checked: a total off by a cent fails it
    broken.write_text(model.read_text().replace('"total = quantity * unit_price"', '"total = quantity * unit_price + 0.01"'))
    assert main(["validate", "--input", str(out / "tiny-shop"), "--model", str(broken)]) == 1
    assert "totals add up" in capsys.readouterr().err

    broken.write_text(model.read_text().replace("low: 1, high: 4", "low: 1"))
    assert main(["gen", "--model", str(broken), "--days", "1", "--out", str(tmp_path / "none")]) == 2
    shown = re.search(r"gengo: error: model file tiny-shop.yaml (.*?); \.\.\.", text).group(1)
    assert f"gengo: error: model file {broken} {shown}" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def _guide_model(tmp_path: Path) -> Path:
    import re

    model = tmp_path / "tiny-shop.yaml"
    model.write_text(re.search(r"```yaml\n(.*?)```", GUIDE.read_text(), re.S).group(1))
    return model


def test_the_guides_model_runs_in_dagster_like_the_cli(tmp_path: Path, monkeypatch):
    import dagster as dg

    from gengo_pipeline.defs.model_defs import model_defs
    from gengo_pipeline.defs.quality import quality_defs
    from gengo_pipeline.defs.resources import GengoResource
    from gengo_pipeline.definitions import build_defs

    model = _guide_model(tmp_path)
    monkeypatch.setenv("GENGO_MODEL_FILES", str(model))
    graph = build_defs().resolve_asset_graph()  # model_files: the definitions carry the file's model
    orders = dg.AssetKey(["tiny-shop", "orders"])
    assert orders in graph.materializable_asset_keys
    assert {dg.AssetCheckKey(orders, "integrity"), dg.AssetCheckKey(orders, "distributions")} <= graph.asset_check_keys

    m = resolve(str(model))
    md, qd = model_defs(m), quality_defs(m)
    res = {"gengo": GengoResource(out=str(tmp_path / "dg"), formats="parquet", workers=1)}
    static = [a for a in md.assets if a.partitions_def is None]
    daily = [a for a in md.assets if a.partitions_def is not None]
    checks = list(qd.asset_checks)
    first = dg.materialize(static + [c for c in checks if c.partitions_def is None], resources=res)
    run = dg.materialize(daily + [c for c in checks if c.partitions_def is not None], partition_key="2024-01-03", resources=res)
    assert first.success and run.success
    evals = run.get_asset_check_evaluations() + first.get_asset_check_evaluations()
    assert len(evals) >= 4 and all(e.passed for e in evals), [(e.asset_check_key, e.metadata) for e in evals if not e.passed]
    gengo("gen", "--model", str(model), "--days", "7", "--format", "parquet", "--out", str(tmp_path / "cli"), "--no-progress")
    cli = {k: v for k, v in file_hashes(tmp_path / "cli").items() if "date=2024-01-03/" in k or "date=" not in k}
    assert file_hashes(tmp_path / "dg") == cli and len(cli) == 3


def test_the_guides_version_2_evolves_a_dataset(tmp_path: Path, capsys):
    import duckdb

    model = _guide_model(tmp_path)
    out = tmp_path / "data"
    gengo("gen", "--model", str(model), "--days", "7", "--evolve", "2=2024-01-05", "--out", str(out), "--no-progress")
    assert main(["validate", "--input", str(out / "tiny-shop"), "--model", str(model)]) == 0
    orders = duckdb.sql(f"SELECT date >= DATE '2024-01-05', count(*), count(channel) FROM read_parquet("
                        f"'{out}/tiny-shop/parquet/orders/**/*.parquet', union_by_name=true, hive_partitioning=true) GROUP BY 1 ORDER BY 1").fetchall()
    assert orders[0][0] is False and orders[0][1] > 0 and orders[0][2] == 0
    assert orders[1][0] is True and orders[1][1] > 0 and orders[1][2] == orders[1][1]
    customers = duckdb.sql(f"SELECT count(segment), count(customer_segment) FROM read_parquet("
                           f"'{out}/tiny-shop/parquet/customers/**/*.parquet', union_by_name=true)").fetchall()[0]
    assert customers[0] > 0 and customers[1] > 0
    capsys.readouterr()
    assert main(["schema-diff", str(model), "1", "2"]) == 0
    diff = capsys.readouterr().out
    assert "rename_column customers.segment to customer_segment" in diff
    assert "table products: ~price money -> decimal(20,2)" in diff and "table orders: +channel string" in diff


def test_dagster_evolves_the_guides_model_like_the_cli(tmp_path: Path):
    """GengoResource(evolve=...): day partitions before and after the switch carry their version's columns, the
    checks of each partition pass against its version, and the files are the CLI's."""
    import dagster as dg
    import duckdb

    from gengo_pipeline.defs.model_defs import model_defs
    from gengo_pipeline.defs.quality import quality_defs
    from gengo_pipeline.defs.resources import GengoResource

    model = _guide_model(tmp_path)
    m = resolve(str(model))
    md, qd = model_defs(m), quality_defs(m)
    res = {"gengo": GengoResource(out=str(tmp_path / "dg"), formats="parquet", workers=1, evolve="2=2024-01-03")}
    static = [a for a in md.assets if a.partitions_def is None]
    daily = [a for a in md.assets if a.partitions_def is not None]
    checks = list(qd.asset_checks)
    assert dg.materialize(static + [c for c in checks if c.partitions_def is None], resources=res).success
    for day in ("2024-01-02", "2024-01-03"):
        run = dg.materialize(daily + [c for c in checks if c.partitions_def is not None], partition_key=day, resources=res)
        evals = run.get_asset_check_evaluations()
        assert run.success and len(evals) == 3 and all(e.passed for e in evals), [(e.asset_check_key, e.description) for e in evals if not e.passed]
    orders = duckdb.sql(f"SELECT CAST(date AS VARCHAR), count(*), count(channel) FROM read_parquet('{tmp_path}/dg/tiny-shop/parquet/orders/**/*.parquet', "
                        "union_by_name=true, hive_partitioning=true) GROUP BY 1 ORDER BY 1").fetchall()
    assert [(d, n > 0, c == (n if d == "2024-01-03" else 0)) for d, n, c in orders] == [("2024-01-02", True, True), ("2024-01-03", True, True)]
    gengo("gen", "--model", str(model), "--days", "7", "--evolve", "2=2024-01-03", "--out", str(tmp_path / "cli"), "--no-progress")
    cli = {k: v for k, v in file_hashes(tmp_path / "cli").items() if "date=2024-01-02/" in k or "date=2024-01-03/" in k or "date=" not in k}
    assert file_hashes(tmp_path / "dg") == cli and len(cli) == 5  # two days of customers and orders, the products
