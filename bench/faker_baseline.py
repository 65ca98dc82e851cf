"""The baseline a Python user would otherwise write: Faker, one row at a time, csv.writer.

Writes an ecommerce-like customers + orders pair (names, emails, addresses, timestamps, money) and
prints one JSON line with rows, bytes and seconds, so bench/run.py can compare it with gengo.

    python bench/faker_baseline.py --rows 20000 --out /tmp/faker
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import random
import time
from pathlib import Path

from faker import Faker

STATUSES = ["delivered", "shipped", "processing", "cancelled", "returned"]
STATUS_W = [70, 12, 8, 6, 4]


def generate(rows: int, out: Path, seed: int = 42) -> dict:
    """`rows` orders in total; one customer per 4 orders, 3 items per order on average."""
    fake = Faker("en_US")
    Faker.seed(seed)
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_customers = max(1, rows // 4)
    started = time.perf_counter()
    written = 0
    start = dt.datetime(2024, 1, 1)
    with open(out / "customers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "first_name", "last_name", "email", "phone", "street", "city", "state", "zip", "created_at"])
        for i in range(1, n_customers + 1):
            first, last = fake.first_name(), fake.last_name()
            w.writerow([i, first, last, f"{first}.{last}{i}@{fake.free_email_domain()}".lower(), fake.phone_number(),
                        fake.street_address(), fake.city(), fake.state_abbr(), fake.zipcode(),
                        (start + dt.timedelta(seconds=rnd.randrange(365 * 86400))).isoformat(sep=" ")])
            written += 1
    with open(out / "orders.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer_id", "order_ts", "status", "items", "subtotal", "tax", "total"])
        for i in range(1, rows + 1):
            items = max(1, int(rnd.expovariate(1 / 3)))
            subtotal = round(sum(rnd.lognormvariate(3, 1) for _ in range(items)), 2)
            tax = round(subtotal * 0.08, 2)
            w.writerow([i, rnd.randint(1, n_customers), (start + dt.timedelta(seconds=rnd.randrange(365 * 86400))).isoformat(sep=" "),
                        rnd.choices(STATUSES, STATUS_W)[0], items, f"{subtotal:.2f}", f"{tax:.2f}", f"{subtotal + tax:.2f}"])
            written += 1
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"rows": written, "bytes": size, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000, help="orders to write (customers = rows / 4)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    print(json.dumps(generate(args.rows, args.out, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
