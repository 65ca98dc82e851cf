"""Great Expectations 1.x, used on small pandas frames that DuckDB aggregated (one row per partition).

One ephemeral context per process (GX imports in ~3 s; the context is reused). Each integrity metric is a
column of bad-row counts per partition, expected to be 0 everywhere (`ExpectColumnValuesToBeBetween`);
GX's unexpected index list names the failing partitions. GX's SQL/DuckDB path is not used (GX issue 11579).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass
class GxOutcome:
    column: str
    success: bool
    unexpected_index: list[int]


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch_def = ctx.data_sources.add_pandas("gengo").add_dataframe_asset("partition_metrics").add_batch_definition_whole_dataframe("all")
    return gx, batch_def


def expect_zero(frame, columns: list[str], suite_name: str) -> dict[str, GxOutcome]:
    """Validate that every value of each column is 0 (no bad rows in any partition)."""
    if not columns or frame is None or len(frame) == 0:
        return {c: GxOutcome(c, True, []) for c in columns}
    gx, batch_def = _context()
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=suite_name)
    for c in columns:
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=0))
    result = batch_def.get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)}).validate(suite, result_format="COMPLETE")
    out = {}
    for r in result.results:
        col = r.expectation_config.kwargs["column"]
        out[col] = GxOutcome(col, bool(r.success), list(r.result.get("unexpected_index_list") or []))
    return out
