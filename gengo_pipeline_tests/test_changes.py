"""Change data: dimensions that change and delete rows statelessly, their change logs and SCD type 2 histories in
the batch, facts that carry the version valid at their time, and the stream's updates (with before) and deletes."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from gengo_pipeline.cli.main import main as gengo_main
from gengo_pipeline.models import resolve
from gengo_pipeline.run.plan import make_engine
from gengo_pipeline.run.settings import load_settings

from .conftest import gengo
from .test_stream import events_of

SCALE = 0.05
DAYS = 90
SNAPSHOT = "2024-03-15"  # within the window: versions after it exist, and is_current must still be one per key
# changes every few weeks and many deletes: 90 days hold several versions of most rows
PARAMS = {"initial_suppliers": 600.0, "price_change_days": 20.0, "email_change_days": 30.0, "move_days": 40.0, "product_delete_share": 0.4,
          "product_life_days": 60.0, "supplier_delete_share": 0.5, "supplier_life_days": 30.0}
SET = [f"--set={k}={v}" for k, v in PARAMS.items()]
CHANGING = ("dim_suppliers", "dim_products", "dim_customers", "dim_customer_addresses")


@pytest.fixture(scope="module")
def changing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("changes")
    gengo("gen", "-m", "ecommerce", "--scale", str(SCALE), "--days", str(DAYS), "--snapshot", SNAPSHOT, "--format", "parquet",
          "--workers", "2", "--no-progress", "--changes", "history", "--out", str(out), *SET)
    return out / "ecommerce" / "parquet"


def duck(root: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        con.execute(f"CREATE VIEW {folder.name} AS SELECT * FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = false)")
    return con


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.mark.parametrize("table", CHANGING)
def test_history_versions_chain_without_overlap_and_one_is_current_per_key(changing: Path, table: str):
    con = duck(changing)
    spec = resolve("ecommerce").table(table)
    key = spec.key
    h = f"{table}_history"
    if spec.changes.updates:  # some rows changed
        assert one(con, f"SELECT count(*) FROM {h}") > one(con, f"SELECT count(*) FROM {table}")
    else:  # suppliers only churn: as many versions as rows, some ended by their delete
        assert one(con, f"SELECT count(*) FROM {h}") == one(con, f"SELECT count(*) FROM {table}")
        assert one(con, f"SELECT count(*) FROM {h} WHERE valid_to IS NOT NULL") > 5
    # versions 0..n of each key, each valid from when the one before it ended
    assert one(con, f"""SELECT count(*) FROM (SELECT version, valid_from, row_number() OVER w - 1 AS expected,
                        lag(valid_to) OVER w AS previous_end FROM {h} WINDOW w AS (PARTITION BY {key} ORDER BY version))
                        WHERE version <> expected OR (version > 0 AND previous_end IS DISTINCT FROM valid_from)""") == 0
    assert one(con, f"""SELECT count(*) FROM {h} a JOIN {h} b ON a.{key} = b.{key} AND a.version < b.version
                        AND b.valid_from < coalesce(a.valid_to, TIMESTAMP '9999-12-31') AND a.valid_from < coalesce(b.valid_to, TIMESTAMP '9999-12-31')""") == 0
    assert one(con, f"SELECT count(*) FROM {h} WHERE valid_to <= valid_from") == 0
    # version 0 is the table's own row
    cols = [c.name for c in spec.output_columns]
    assert one(con, f"SELECT count(*) FROM (SELECT {', '.join(cols)} FROM {table} EXCEPT SELECT {', '.join(cols)} FROM {h} WHERE version = 0)") == 0
    # exactly one current version per key alive at the end of the snapshot day, none for deleted or later keys
    end = f"TIMESTAMP '{SNAPSHOT}' + INTERVAL 1 DAY"
    deleted = f"(SELECT {key} FROM {table}_changes WHERE change_op = 'delete' AND changed_at < {end})" if one(
        con, f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}_changes'") else f"(SELECT NULL::BIGINT AS {key})"
    alive = one(con, f"SELECT count(*) FROM {h} WHERE version = 0 AND valid_from < {end} AND {key} NOT IN {deleted}")
    assert alive > 0
    assert one(con, f"SELECT count(*) FROM {h} WHERE is_current") == alive
    assert one(con, f"SELECT count(DISTINCT {key}) FROM {h} WHERE is_current") == alive
    assert one(con, f"SELECT count(*) FROM {h} WHERE is_current AND NOT (valid_from < {end} AND coalesce(valid_to, {end}) >= {end})") == 0
    if spec.changes.updates:  # versions after the snapshot are there too
        assert one(con, f"SELECT count(*) FROM {h} WHERE valid_from >= {end} AND version > 0") > 0


@pytest.mark.parametrize("table", [t for t in CHANGING if t != "dim_suppliers"])
def test_change_log_rows_are_the_history_versions_and_deletes_end_the_last(changing: Path, table: str):
    con = duck(changing)
    spec = resolve("ecommerce").table(table)
    key, cols = spec.key, ", ".join(c.name for c in spec.output_columns)
    log, h = f"{table}_changes", f"{table}_history"
    updates = one(con, f"SELECT count(*) FROM {log} WHERE change_op = 'update'")
    assert updates > 20 and updates == one(con, f"SELECT count(*) FROM {h} WHERE version > 0")
    assert one(con, f"""SELECT count(*) FROM (SELECT {cols}, version, changed_at FROM {log} WHERE change_op = 'update'
                        EXCEPT SELECT {cols}, version, valid_from FROM {h})""") == 0
    # an update changes the row (a new e-mail provider may be the old one: most differ)
    both = lambda a: "row(" + ", ".join(f"{a}.{c.name}" for c in spec.output_columns) + ")"  # noqa: E731
    changed = one(con, f"""SELECT avg(CASE WHEN {both('n')} IS DISTINCT FROM {both('o')} THEN 1 ELSE 0 END) FROM
                       (SELECT {cols}, version FROM {h}) n JOIN (SELECT {cols}, version FROM {h}) o ON o.{key} = n.{key} AND o.version = n.version - 1""")
    assert changed > (0.5 if table == "dim_customers" else 0.99)
    deletes = one(con, f"SELECT count(*) FROM {log} WHERE change_op = 'delete'")
    if spec.changes.delete_share:
        assert deletes > 5
        # a delete carries the row's last version, whose validity it ends; nothing follows it
        assert one(con, f"""SELECT count(*) FROM {log} d LEFT JOIN {h} v ON v.{key} = d.{key} AND v.version = d.version
                            AND v.valid_to = d.changed_at WHERE d.change_op = 'delete' AND v.{key} IS NULL""") == 0
        assert one(con, f"""SELECT count(*) FROM {log} d JOIN {log} later ON later.{key} = d.{key} AND later.changed_at > d.changed_at
                            WHERE d.change_op = 'delete'""") == 0
    else:
        assert deletes == 0


def test_every_fact_joins_the_version_valid_at_its_time(changing: Path):
    con = duck(changing)
    lines = one(con, "SELECT count(*) FROM fact_order_items")
    # each line: its order's time lies in exactly one version of its product, whose price it carries
    matched = con.execute("""SELECT count(*), count(*) FILTER (WHERE p.base_price = i.unit_price) FROM fact_order_items i
        JOIN fact_orders_header o USING (order_id) JOIN dim_products_history p ON p.product_id = i.product_id
        AND p.valid_from <= o.order_timestamp AND (p.valid_to IS NULL OR o.order_timestamp < p.valid_to)""").fetchone()
    assert lines > 1000 and matched == (lines, lines)
    # prices changed under the lines: many lines carry a price other than the product's first
    assert one(con, """SELECT count(*) FROM fact_order_items i JOIN dim_products p USING (product_id)
                       WHERE p.base_price <> i.unit_price""") > lines // 10
    # no line names a product discontinued before its order
    assert one(con, """SELECT count(*) FROM fact_order_items i JOIN fact_orders_header o USING (order_id)
                       JOIN dim_products_changes d ON d.product_id = i.product_id AND d.change_op = 'delete'
                       WHERE d.changed_at <= o.order_timestamp""") == 0
    assert one(con, "SELECT count(*) FROM dim_products_changes WHERE change_op = 'delete'") > 20
    # products launched after a supplier's churn never name it; each names a supplier version valid at its launch
    products = one(con, "SELECT count(*) FROM dim_products")
    assert one(con, """SELECT count(*) FROM dim_products p JOIN dim_suppliers_history s ON s.supplier_id = p.supplier_id
                       AND s.valid_from <= p.launch_date AND (s.valid_to IS NULL OR p.launch_date + INTERVAL 1 DAY <= s.valid_to)""") == products
    assert one(con, "SELECT count(*) FROM dim_suppliers_changes WHERE change_op = 'delete'") > 5


def stream_events(days: int, start_day: int = 0) -> list[dict]:
    lines, _ = events_of("ecommerce", SCALE, day=start_day, days=days, params=PARAMS)
    return [json.loads(x) for x in lines]


def test_stream_updates_carry_the_previous_version_as_before_and_deletes_the_last():
    events = stream_events(40)
    keys = {t.name: t.key for t in resolve("ecommerce").tables}
    state: dict[tuple, dict] = {}
    ops = {"insert": 0, "update": 0, "delete": 0}
    last = ""
    for e in events:
        assert e["ts"] >= last
        last = e["ts"]
        k = (e["table"], e["data"][keys[e["table"]]])
        ops[e["op"]] += 1
        if e["op"] == "insert":
            assert k not in state and "before" not in e
            state[k] = e["data"]
        elif e["op"] == "update":
            assert e["before"] == state[k], e  # the row as it was: the previous version
            assert e["data"] != e["before"] or e["table"] == "dim_customers"  # a new e-mail provider may repeat
            assert set(e["data"]) == set(e["before"])
            state[k] = e["data"]
        else:
            assert e["data"] == state.pop(k) and "before" not in e
    assert ops["update"] > 200 and ops["delete"] > 20, ops
    assert {e["table"] for e in events if e["op"] == "update"} == {"dim_products", "dim_customers", "dim_customer_addresses"}
    assert {e["table"] for e in events if e["op"] == "delete"} == {"dim_products", "dim_suppliers"}


def test_stream_of_days_equals_the_batch_change_logs(tmp_path: Path):
    events = stream_events(20, start_day=10)
    assert gengo_main(["gen", "-m", "ecommerce", "--scale", str(SCALE), "--start", "2024-01-11", "--days", "20", "--format", "json",
                       "--workers", "1", "--no-progress", "--changes", "log", "--out", str(tmp_path), *SET]) == 0
    model = resolve("ecommerce")
    for table in CHANGING:
        key = model.table(table).key
        folder = tmp_path / "ecommerce" / "json" / f"{table}_changes"
        batch = [json.loads(x) for f in sorted(folder.rglob("*.jsonl")) for x in f.read_text().splitlines()]
        streamed = [{key: e["data"][key], "version": None, "change_op": e["op"], "changed_at": e["ts"],
                     **{c: v for c, v in e["data"].items() if c != key}} for e in events if e["table"] == table and e["op"] != "insert"]
        for row in batch:
            row["version"] = None  # the stream's events carry no version number; everything else must agree
        order = lambda r: (r["changed_at"], r[key])  # noqa: E731
        assert streamed and sorted(streamed, key=order) == sorted(batch, key=order), table
    assert not [e for e in events if e["table"].endswith(("_changes", "_history"))]


def test_a_changed_row_is_a_function_of_its_key_alone():
    """Any version of any row, computed alone, equals the history's (no state, any day alone)."""
    m = resolve("ecommerce")
    engine = make_engine(m, load_settings(scale=SCALE, params={"ecommerce": PARAMS}), SCALE)
    hist = engine.table("dim_products_history")
    lo, hi = hist.rows_in_day(50)
    whole = hist.frame(lo, hi)
    fresh = make_engine(m, load_settings(scale=SCALE, params={"ecommerce": PARAMS}), SCALE).table("dim_products_history")
    assert fresh.frame(lo + 3, lo + 4).equals(whole[3:4]) and len(whole) > 4
    schedule = engine.table("dim_products").changes
    rows = whole["product_id"].to_numpy() - 1
    t = (whole["valid_from"].cast(int)).to_numpy()
    again = schedule.frame(rows, t)
    assert again.equals(whole.select(again.columns))


@pytest.mark.parametrize("edit,words", [
    (lambda m: m["tables"][3].update(changes={"delete_share": 0.1}), "rows of dim_customer_addresses would outlive their parent"),
    (lambda m: m["tables"][4].update(changes={"delete_share": 0.1}), "child_ref may reference rows dim_customer_addresses has deleted"),
    (lambda m: m["tables"][2].update(changes={"updates": [{"name": "x", "columns": ["colour"], "every_days": 30}]}),
     "'colour' is not a column of dim_products"),
    (lambda m: m["tables"][2].update(changes={"updates": [{"name": "x", "columns": ["product_name"], "every_days": 1}]}),
     "every_days"),
    (lambda m: m["tables"][0].update(changes={"delete_share": 0.1}), "needs a key and a population or per_parent volume"),
    (lambda m: m["tables"][2].update(changes={}), "give at least one update or a delete_share"),
])
def test_bad_changes_are_refused_at_load_in_one_line(tmp_path: Path, edit, words):
    doc = resolve("ecommerce").model_dump(mode="json")
    doc["tables"] = [t for t in doc["tables"] if not t.get("derived")]
    for t in doc["tables"]:
        t.pop("changes", None)
    doc["name"], doc["aliases"] = "shop", []
    edit(doc)
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(doc))
    proc = gengo("gen", "-m", str(path), "--days", "1", "--scale", "0.01", "--out", str(tmp_path / "out"), check=False)
    assert proc.returncode != 0 and words in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_streaming_a_history_table_is_refused_in_one_line(capsys):
    assert gengo_main(["stream", "-m", "ecommerce", "--tables", "dim_products_history", "--max-events", "3", "--sink", "stdout"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "batch form" in err and "stream dim_products" in err


def test_a_model_prints_back_and_reloads_with_its_derived_tables_once():
    m = resolve("ecommerce")
    again = type(m).model_validate(m.model_dump())
    assert [t.name for t in again.tables] == [t.name for t in m.tables]
    assert sum(t.name.endswith("_history") for t in m.tables) == 4 and m.table("dim_products_changes").derived
