"""CSV text is quoted exactly where it must be, templates fix case and spaces per row, and a failing run
leaves no partial file behind."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .conftest import gengo, part_file

WORDS = ["plain", "with,comma", 'with"quote', "O'Brien Jr", "ÉLODIE Dupont", "Ünal"]


def _model(tables: list[dict]) -> dict:
    return {"name": "texts", "vocab": {"words": WORDS, "tags": ["a", "b", "c d"]}, "tables": tables}


def _static(name: str, columns: list[dict], rows: int = 3000) -> dict:
    return {"name": name, "partitioned": False, "key": "id", "volume": {"kind": "static", "rows": rows},
            "columns": [{"name": "id", "type": "int64", "gen": {"kind": "key"}}, *columns]}


def test_csv_bytes_equal_polars_quoting_and_templates_fix_every_row(tmp_path: Path):
    tricky = _static("tricky", [
        {"name": "word", "type": "string", "gen": {"kind": "vocab", "name": "words"}},
        {"name": "email", "type": "string", "gen": {"kind": "template", "format": "{word}.{id}@Example.org", "lower": True, "strip_spaces": True}},
    ])
    plain = _static("plain", [
        {"name": "tag", "type": "string", "gen": {"kind": "vocab", "name": "tags"}},
        {"name": "code", "type": "string", "gen": {"kind": "template", "format": "{tag}-{id:05d}", "lower": True, "strip_spaces": True}},
        {"name": "note", "type": "string", "gen": {"kind": "const", "value": "ok"}},
    ])
    path = tmp_path / "texts.json"
    path.write_text(json.dumps(_model([tricky, plain])))
    out = tmp_path / "o"
    gengo("gen", "--model", str(path), "--days", "1", "--format", "parquet,csv", "--out", str(out), "--no-progress")
    for table in ("tricky", "plain"):
        frame = pl.read_parquet(part_file(out, "texts", table, "parquet"))
        assert frame.height == 3000
        # whether gengo skipped the quoting scan or not, the file is what polars' quoting would write
        assert part_file(out, "texts", table, "csv").read_bytes() == frame.write_csv().encode()
    tricky_rows = pl.read_parquet(part_file(out, "texts", "tricky", "parquet")).to_dicts()
    assert {r["word"] for r in tricky_rows} == set(WORDS)
    for r in tricky_rows:
        assert r["email"] == f"{r['word']}.{r['id']}@Example.org".replace(" ", "").replace("'", "").lower()
    plain_rows = pl.read_parquet(part_file(out, "texts", "plain", "parquet")).to_dicts()
    assert {r["code"] for r in plain_rows if r["id"] == 7} <= {"a-00007", "b-00007", "cd-00007"}
    assert all(r["code"] == f"{r['tag']}-{r['id']:05d}".replace(" ", "").lower() for r in plain_rows)
    csv_text = part_file(out, "texts", "tricky", "csv").read_text()
    assert '"with,comma"' in csv_text and '"with""quote"' in csv_text


def test_a_failing_unit_leaves_no_partial_file(tmp_path: Path):
    table = {"name": "events", "key": "id", "volume": {"kind": "flow", "rate": 40_000},
             "columns": [{"name": "id", "type": "int64", "gen": {"kind": "key"}},
                         {"name": "n", "type": "int64", "gen": {"kind": "custom", "fn": "gengo_pipeline_tests.custom_generators:fail_from_row", "row": 150_000}}]}
    path = tmp_path / "failing.json"
    path.write_text(json.dumps({"name": "failing", "tables": [table]}))
    out = tmp_path / "o"
    proc = gengo("gen", "--model", str(path), "--days", "8", "--format", "csv,parquet", "--out", str(out), "--workers", "2",
                 "--no-progress", check=False)
    assert proc.returncode != 0 and "planted failure" in proc.stderr and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()  # the plan's one-line summary, then one error line
    assert lines[-1].startswith("gengo: error: planted failure") and len(lines) == 2
    left = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in left if "staging" in p.parts or ".inprogress" in p.name]  # no temp file of an interrupted unit
    # journaled commits: the manifest lists exactly the units that finished, every one whole
    manifest = json.loads((out / "failing" / "_manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(out / "failing")) for p in left if p.name.startswith("part-")}
    assert listed == on_disk and manifest["runs"][-1]["status"] == "failed"
    # the days before the failing row were finished whole; no finished file holds a row at or past it
    for p in left:
        if p.suffix == ".csv":
            ids = pl.read_csv(p)["id"]
            assert ids.max() <= 150_000 and len(ids) == ids.max() - ids.min() + 1
