"""The asset factory: a model root asset `<model>/` and one asset per table keyed <model>/<table>, grouped by model.

The root records the model's description and the settings a run uses; its data version is a hash of the
settings that decide the files' bytes, so a change of seed or scale shows every table as stale. Tables
are daily partitioned (static tables unpartitioned), depend on the root (directly, or through the tables
their foreign keys point at), carry the model's schema version as code_version and backfill a partition
range in one run (a range is one core run). No per-model code.
(No `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time.)
"""
import datetime as dt
import hashlib
import json
import warnings

import dagster as dg

from ..engine.spec import Model, Table
from ..errors import GengoError
from ..run.events import EventBus
from ..run.executor import identity_of
from ..run.plan import make_plan
from ..run.settings import GengoSettings
from ..store.dataset import fingerprint
from . import metadata
from .generate import generate_table, window_settings
from .graph import dependency_graph
from .keys import asset_key, group_name, model_key
from .partitions import days_of, key_of, model_settings, partitions_for, window
from .resources import GengoResource


def run_settings(gengo: GengoResource, model: Model) -> GengoSettings:
    """The resource's settings over the model's window, refused when their origin or granularity is not the
    one the partitions were built from."""
    settings = model_settings(model, gengo.settings())
    w = window(model)
    if settings.origin != w.first or settings.partition_by != w.by:
        raise dg.Failure(f"origin {settings.origin} by {settings.partition_by} differs from the partitions' origin {w.first} "
                         f"by {w.by}: partition keys would name other days; set GENGO_ORIGIN / GENGO_PARTITION_BY "
                         "(or origin / partition_by in gengo.toml) and reload definitions")
    return settings


def _common(model: Model) -> dict:
    """Arguments every asset of the model shares."""
    return {"group_name": group_name(model), "code_version": f"{model.name}-schema-{model.schema_version}",
            "tags": {"gengo/model": group_name(model)}, "backfill_policy": dg.BackfillPolicy.single_run()}


def settings_record(model: Model, settings: GengoSettings) -> dict:
    """What a run's files are a function of: the dataset's identity (store.dataset), plus where the dataset
    lives and in which formats; the same record means the same bytes."""
    plan = make_plan(model, window_settings(model, settings, None, None))
    identity = identity_of(plan)
    return {**identity, "fingerprint": fingerprint(identity), "formats": settings.formats,
            "out": str(settings.out)}


def _tables_markdown(model: Model) -> str:
    deps = dependency_graph(model)
    by = window(model).by
    rows = [f"| table | partitioned by {by} | columns | depends on |", "|---|---|---:|---|"]
    rows += [f"| {t.name} | {'yes' if t.partitioned and by != 'none' else 'no (static)' if not t.partitioned else 'no (one file set)'} | {len(t.output_columns)} | "
             f"{', '.join(deps[t.name]) or '-'} |" for t in model.tables]
    return "\n".join(rows)


def build_model_asset(model: Model) -> dg.AssetsDefinition:
    w = window(model)
    key = model_key(model)

    @dg.asset(
        key=key, **_common(model), kinds={"dataset"},
        description=(f"The {model.name} model: {model.doc or f'{len(model.tables)} tables'} "
                     f"Upstream of every {model.name} table, so `{key.to_user_string()}*` selects the whole model. "
                     "A materialization records the settings the run uses."),
        metadata={"tables": dg.MetadataValue.md(_tables_markdown(model)),
                  "partitions": f"{key_of(w.first, w.by)} .. {key_of(w.last, w.by)} by {w.by} (GENGO_ORIGIN, GENGO_HORIZON, GENGO_PARTITION_BY)",
                  "gengo/model": model.name, "gengo/schema_version": model.schema_version},
    )
    def _model(context: dg.AssetExecutionContext, gengo: GengoResource) -> dg.MaterializeResult:
        record = settings_record(model, run_settings(gengo, model))
        version = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
        context.log.info(f"{model.name}: settings {record} (data version {version})")
        return dg.MaterializeResult(data_version=dg.DataVersion(version),
                                    metadata={"settings": dg.MetadataValue.json(record),
                                              "out": dg.MetadataValue.path(record["out"])})

    return _model


def build_table_asset(model: Model, table: Table) -> dg.AssetsDefinition:
    partitioned = partitions_for(model, table.name) is not None
    table_deps = dependency_graph(model)[table.name]

    @dg.asset(
        key=asset_key(model, table.name), **_common(model), kinds={"python", "polars"},
        deps=[asset_key(model, d) for d in table_deps] or [model_key(model)],  # the root reaches all through them
        partitions_def=partitions_for(model, table.name),
        description=table.doc or f"{model.name}.{table.name}: {len(table.output_columns)} columns",
        metadata={"gengo/model": model.name, "gengo/table": table.name, "gengo/partitioned": partitioned,
                  "gengo/schema_version": model.schema_version},
    )
    def _asset(context: dg.AssetExecutionContext, gengo: GengoResource) -> dg.MaterializeResult:
        if partitioned:
            rng = context.partition_key_range
            start, days = days_of((rng.start, rng.end), window(model).by)
        else:
            start, days = None, None
        tally = metadata.PartitionTally()
        try:
            result = generate_table(model, table.name, run_settings(gengo, model), start, days, run_id=context.run_id,
                                    log=context.log.warning, events=EventBus(tally))
        except GengoError as e:  # a user's problem: its one line (problem and fix), not a traceback
            raise dg.Failure(description=e.one_line(), allow_retries=False) from None
        stats = metadata.per_partition(result, table.name, tally)
        context.log.info(f"{model.name}/{table.name}: {start or 'static'} x {days or 1} day(s), "
                         f"{sum(s[metadata.ROWS] for s in stats.values()):,} rows in {result.seconds:.2f} s")
        if len(stats) > 1:  # a range in one run: each partition gets its own numbers (per-partition plots)
            for date, values in stats.items():
                context.add_asset_metadata(values, partition_key=key_of(dt.date.fromisoformat(date), window(model).by))
            return dg.MaterializeResult(metadata=metadata.summary(result, table.name))
        return dg.MaterializeResult(metadata={**next(iter(stats.values()), {}), **metadata.summary(result, table.name)})

    return _asset


def build_assets(model: Model) -> list[dg.AssetsDefinition]:
    with warnings.catch_warnings():  # BackfillPolicy is "beta" in Dagster 1.13; single-run ranges are the point
        warnings.simplefilter("ignore", dg.BetaWarning)
        return [build_model_asset(model)] + [build_table_asset(model, t) for t in model.tables]
