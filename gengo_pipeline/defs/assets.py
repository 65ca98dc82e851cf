"""The asset factory: one asset per table of a model, keyed <model>/<table>, grouped by model.

Daily partitioned (static tables unpartitioned), deps from the foreign keys, code_version from the
model's schema version, single-run backfills (a partition range is one core run). No per-model code.
(No `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time.)
"""
import warnings

import dagster as dg

from ..engine.spec import Model, Table
from ..errors import GengoError
from . import metadata
from .generate import generate_table
from .graph import dependency_graph
from .keys import asset_key, group_name
from .partitions import days_of, partitions_for
from .resources import GengoResource


def build_table_asset(model: Model, table: Table) -> dg.AssetsDefinition:
    partitioned = partitions_for(model, table.name) is not None
    with warnings.catch_warnings():  # BackfillPolicy is "beta" in Dagster 1.13; it is what the issue asks for
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _decorate(model, table, partitioned)


def _decorate(model: Model, table: Table, partitioned: bool) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(model, table.name),
        group_name=group_name(model),
        deps=[asset_key(model, d) for d in dependency_graph(model)[table.name]],
        partitions_def=partitions_for(model, table.name),
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=f"{model.name}-schema-{model.schema_version}",
        description=table.doc or f"{model.name}.{table.name}: {len(table.output_columns)} columns",
        kinds={"python", "polars"},
        tags={"gengo/model": group_name(model)},
        metadata={"gengo/model": model.name, "gengo/table": table.name, "gengo/partitioned": partitioned,
                  "gengo/schema_version": model.schema_version},
    )
    def _asset(context: dg.AssetExecutionContext, gengo: GengoResource) -> dg.MaterializeResult:
        if partitioned:
            rng = context.partition_key_range
            start, days = days_of((rng.start, rng.end))
        else:
            start, days = None, None
        try:
            result = generate_table(model, table.name, gengo.settings(), start, days, run_id=context.run_id,
                                    log=context.log.warning)
        except GengoError as e:  # a user's problem: its one line (problem and fix), not a traceback
            raise dg.Failure(description=e.one_line(), allow_retries=False) from None
        stats = metadata.per_partition(result, table.name)
        context.log.info(f"{model.name}/{table.name}: {start or 'static'} x {days or 1} day(s), "
                         f"{sum(s['rows'] for s in stats.values()):,} rows in {result.seconds:.2f} s")
        if len(stats) > 1:  # a range in one run: each partition gets its own numbers (per-partition plots)
            for date, values in stats.items():
                context.add_asset_metadata(values, partition_key=date)
            return dg.MaterializeResult(metadata=metadata.summary(result, table.name))
        return dg.MaterializeResult(metadata={**next(iter(stats.values()), {}), **metadata.summary(result, table.name)})

    return _asset


def build_assets(model: Model) -> list[dg.AssetsDefinition]:
    return [build_table_asset(model, t) for t in model.tables]
