"""Custom generator functions that test models point at ("gengo_pipeline_tests.custom_generators:name")."""
from __future__ import annotations

import numpy as np

from gengo_pipeline.errors import SpecError


def fail_from_row(ctx, row: int):
    """Row indices until `row`, then a failure: a unit that dies half-way through its file."""
    if ctx.rows.max(initial=-1) >= row:
        raise SpecError(f"planted failure at row {row}", "this is a test")
    return np.asarray(ctx.rows)
