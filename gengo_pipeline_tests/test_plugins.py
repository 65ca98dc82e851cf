"""A plugin package (gengo_pipeline_tests/plugin, installed by the test session) adds a generator, a model, a
check, a calendar, a volume and a stream sink through entry points: the CLI lists the model with its origin,
generates and validates it, the Dagster definitions carry its assets and checks and materialize the same bytes,
a model file uses the plugin's volume and calendar, and `gengo stream` delivers to the plugin's sink."""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import dagster as dg

from gengo_pipeline.cli.main import main
from gengo_pipeline.defs.assets import build_assets
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.engine.generators import GENERATORS
from gengo_pipeline.models import model_origin, resolve
from gengo_pipeline.quality.distributions import KINDS

from .conftest import file_hashes, gengo, query, scan

ORIGIN = "gengo-example-plugin 0.2.0"


def test_the_plugins_names_are_registered_with_their_origin(capsys):
    assert GENERATORS.origin("sine_wave") == ORIGIN and GENERATORS.origin("uniform") == "built-in"
    assert KINDS.origin("all_positive") == ORIGIN and KINDS["all_positive"].severity == "warn"
    assert model_origin("plugin-shop") == ORIGIN and resolve("PShop").name == "plugin-shop"
    assert main(["models"]) == 0
    listed = capsys.readouterr().out
    assert "plugin-shop" in listed and "gengo-example-plu" in listed and "built-in" in listed


def test_the_plugin_model_generates_validates_and_materializes_in_dagster(tmp_path: Path, capsys):
    out = tmp_path / "cli"
    gengo("gen", "--model", "plugin-shop", "--start", "2024-01-02", "--days", "3", "--seed", "5", "--format", "parquet",
          "--out", str(out), "--no-progress", env={"GENGO_WORKERS": "1"})
    sales, shops = scan(out, "plugin-shop", "sales"), scan(out, "plugin-shop", "shops")
    rows = query(f"SELECT date, amount FROM {sales}")
    assert len(rows) > 600
    origin = json.loads((out / "plugin-shop" / "_manifest.json").read_text())["identity"]["origin"]
    epoch = dt.date.fromisoformat(origin)  # day 0 of the engine's day index
    for date, amount in rows:  # the plugin generator's formula: base + amplitude x sin(2 pi day / 7) x u
        wave = 40 * math.sin(2 * math.pi * (date - epoch).days / 7)
        assert min(50, 50 + wave) - 1e-9 <= amount <= max(50, 50 + wave) + 1e-9
    assert query(f"SELECT count(*) FROM {sales} s ANTI JOIN {shops} p USING (shop_id)") == [(0,)]

    assert main(["validate", "--input", str(out / "plugin-shop"), "--json", str(tmp_path / "report.json")]) == 0
    results = json.loads((tmp_path / "report.json").read_text())["results"]
    claim = [r for r in results if r["check"] == "sales amounts are positive"]
    assert len(claim) == 1 and claim[0]["status"] == "pass" and f"of {len(rows)} rows" in claim[0]["message"]
    # the plugin generator describes its values (Generator.allowed): validate checks the column against them
    allowed = [r for r in results if r["check"] == "allowed" and r["column"] == "amount"]
    assert len(allowed) == 1 and allowed[0]["status"] == "pass" and "in [10, 90]" in allowed[0]["message"]

    from gengo_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(["plugin-shop", "sales"])
    assert key in graph.materializable_asset_keys
    assert {dg.AssetCheckKey(key, "integrity"), dg.AssetCheckKey(key, "distributions")} <= graph.asset_check_keys
    dagster_out = tmp_path / "dg"
    gengo_resource = GengoResource(out=str(dagster_out), seed=5, workers=1, formats="parquet")
    from gengo_pipeline.defs.quality import quality_defs

    checks = [c for c in quality_defs(resolve("plugin-shop")).asset_checks if c.partitions_def is not None]
    res = dg.materialize(build_assets(resolve("plugin-shop")) + checks, partition_key="2024-01-03", resources={"gengo": gengo_resource})
    assert res.success
    evals = {e.asset_check_key.name: e for e in res.get_asset_check_evaluations() if e.asset_check_key.asset_key == key}
    assert set(evals) == {"integrity", "distributions"} and all(e.passed for e in evals.values())
    assert "sales amounts are positive" in str(evals["distributions"].metadata)  # the plugin's check, run by Dagster
    got = file_hashes(dagster_out)
    want = {k: v for k, v in file_hashes(out).items() if "date=2024-01-03/" in k or "date=" not in k}
    assert got == want and len(got) == 2


def test_a_plugin_sink_receives_the_stream(tmp_path: Path, capsys):
    from gengo_pipeline.stream.sinks import SINKS

    tally = tmp_path / "tally.tsv"
    assert main(["stream", "--model", "plugin-shop", "--days", "2", "--sink", f"tally:{tally}"]) == 0
    assert SINKS.origin("tally") == ORIGIN and SINKS.origin("postgres") == "built-in"
    assert main(["stream", "--model", "plugin-shop", "--days", "2"]) == 0  # the same events on stdout
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    counted = dict(line.split("\t") for line in tally.read_text().splitlines())
    assert {t: int(n) for t, n in counted.items()} == {t: sum(e["table"] == t for e in events) for t in ("sales", "shops")}
    assert main(["stream", "--model", "plugin-shop", "--sink", "nope:x", "--max-events", "1"]) == 2
    assert "tally:TARGET" in capsys.readouterr().err  # the unknown sink's fix lists the plugin's


def test_a_model_file_uses_the_plugins_volume_and_calendar(tmp_path: Path):
    from gengo_pipeline.engine.calendar import CALENDARS
    from gengo_pipeline.engine.volumes import RUNTIMES

    assert CALENDARS.origin("paydays") == ORIGIN and RUNTIMES.origin("fixed_per_day") == ORIGIN
    model = tmp_path / "payroll.yaml"
    model.write_text("""
name: payroll
tables:
- name: payments
  key: payment_id
  volume: {kind: custom, runtime: fixed_per_day, args: {rows: 3, calendar: paydays}}
  columns:
  - {name: payment_id, type: int64, gen: {kind: key}}
  - {name: paid_on, type: date, gen: {kind: day_date}}
""")
    out = tmp_path / "data"
    gengo("gen", "--model", str(model), "--days", "60", "--out", str(out), "--no-progress")
    rows = query(f"SELECT paid_on, count(*) FROM {scan(out, 'payroll', 'payments')} GROUP BY 1 ORDER BY 1")
    assert rows == [(dt.date(2024, 1, 15), 3), (dt.date(2024, 1, 31), 3), (dt.date(2024, 2, 15), 3), (dt.date(2024, 2, 29), 3)]
    assert main(["validate", "--input", str(out / "payroll"), "--model", str(model)]) == 0

