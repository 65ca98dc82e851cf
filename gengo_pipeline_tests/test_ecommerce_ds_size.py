"""ecommerce-ds sizing: --size 0.1GB lands within 10% for CSV and for Parquet (bytes read back from disk)."""
from __future__ import annotations

import pytest

from .conftest import gengo


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_size_lands_within_ten_percent(tmp_path, fmt):
    gengo("gen", "--model", "eds", "--size", "0.1GB", "--format", fmt, "--out", str(tmp_path), "--no-progress")
    files = [p for p in (tmp_path / "ecommerce-ds").rglob(f"*.{fmt}") if p.is_file()]
    assert {p.relative_to(tmp_path / "ecommerce-ds").parts[0] for p in files} >= {"store_sales", "inventory", "date_dim"}
    total = sum(p.stat().st_size for p in files)
    assert abs(total - 100_000_000) <= 10_000_000, f"{fmt}: {total:,} bytes"
