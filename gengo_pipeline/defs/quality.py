"""Quality as Dagster: partitioned asset checks per table and a `<model>/profile` asset, for any model.

- `integrity` (blocking, severity ERROR): keys, foreign keys as of the day, composite references, types,
  allowed values and readable files of the materialized partition(s), through the same suite as
  `gengo validate` (gengo_pipeline.quality.suite, Great Expectations on DuckDB aggregates);
- `distributions` (severity WARN) on tables that claim distributions: the claims over the four weeks up to
  the partition (weekday shape needs weeks; a claim the window cannot test is reported n/a);
- `<model>/profile`: DuckDB SUMMARIZE and cross-table aggregates as markdown metadata, plus the HTML report
  written next to the data (`<out>/<model>/profile.html`) with a heat map of each association the model claims.
"""

import datetime as dt
import warnings

import dagster as dg

from ..engine.spec import Model, Table
from ..store.storage import join
from .keys import asset_key, group_name
from .partitions import days_of, key_of, model_settings, partitions_for, window
from .resources import GengoResource

READ_ORDER = ("parquet", "csv", "jsonl")


def _days(context: dg.AssetCheckExecutionContext) -> list[str]:
    """The day partitions the run checks: its one key or its range's keys; none for a static table."""
    if context.has_partition_key:
        return [context.partition_key]
    return list(context.partition_keys) if context.has_partition_key_range else []


def _where(gengo: GengoResource, model: Model) -> tuple[str, str, dict, dt.date]:
    s = model_settings(model, gengo.settings())
    fmts = s.format_list
    fmt = next((f for f in READ_ORDER if f in fmts), fmts[0])
    return join(s.out, model.name), fmt, s.model_params(model.name), s.origin  # a folder or an s3:// URL


def check_results(gengo: GengoResource, model: Model, table: Table, dates, distributions: bool):
    """The suite's results for one table over `dates` (first, last), as the asset checks report them."""
    from ..quality.suite import validate

    root, fmt, params, origin = _where(gengo, model)
    from ..run.plan import make_plan
    from .generate import window_settings

    settings = gengo.settings()
    engine = make_plan(model, window_settings(model, settings, dates[0] if dates else None, None)).engine()
    # validate: the CLI's checks, each partition against the schema version it was written at
    results = validate(root, model, fmt=fmt, dates=dates, params=params, origin=origin, tables=[table.name],
                       distributions=distributions, engine=engine, integrity=not distributions).results
    if distributions:
        return [r for r in results if r.severity == "warn" or r.check in {d.name for d in model.distributions}]
    return [r for r in results if r.severity == "error" and r.check not in {d.name for d in model.distributions}]


def _failed_on(results: list, day: str | None) -> list:
    """The failures that concern `day`: those naming it, and those naming no partition (the whole window)."""
    return [r for r in results if r.passed is False and (day is None or not r.partitions or day in r.partitions)]


def _metadata(results, failed: list) -> dict:
    """A table of every check and a one-line tally; on failure, the failures and their bad rows (a count that
    would plot as a flat zero line while everything passes)."""
    rows = ["| check | column | result | bad rows | detail |", "|---|---|---|---:|---|"]
    for r in results:
        rows.append(f"| {r.check} | {r.column} | {r.status} | {r.bad_rows:,} | {r.detail.replace('|', '/')} |")
    passed, na = sum(1 for r in results if r.passed), sum(1 for r in results if r.passed is None)
    return {"checks": dg.MetadataValue.md("\n".join(rows)),
            "result": f"{passed} passed, {len(failed)} failed" + (f", {na} not applicable" if na else ""),
            **({"bad_rows": sum(r.bad_rows for r in failed),
                "failures": dg.MetadataValue.text("\n".join(r.line() for r in failed))} if failed else {})}


def _checked_materialization(context, key: dg.AssetKey, day: str):
    """The materialization of `day` that the evaluation is about (what AssetCheckResult looks up itself; the
    record type is Dagster's, not exported at its top level)."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluationTargetMaterializationData

    found = context.instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1)
    if not found.records:
        return None
    record = found.records[0]
    return AssetCheckEvaluationTargetMaterializationData(run_id=record.event_log_entry.run_id,
                                                         storage_id=record.storage_id, timestamp=record.timestamp)


def _evaluate(context: dg.AssetCheckExecutionContext, gengo: GengoResource, model: Model, table: Table, name: str,
              distributions: bool, severity: dg.AssetCheckSeverity, blocking: bool):
    """One check over the run's window, reported per day partition (Dagster shows a range run's checks as
    skipped unless each partition gets its own evaluation); a static table gets one result."""
    by = window(model).by
    days = _days(context) if table.partitioned else []
    dates = None
    if days:
        first, n = days_of((days[0], days[-1]), by)
        dates = (first, first + dt.timedelta(days=n - 1))
    results = check_results(gengo, model, table, dates, distributions)
    key = asset_key(model, table.name)
    for day in days or [None]:  # a month's results name the month's first day
        failed = _failed_on(results, day and days_of((day,), by)[0].isoformat())
        evaluation = {"passed": not failed, "severity": severity, "metadata": _metadata(results, failed),
                      "description": "; ".join(r.line() for r in failed)[:1000] or None}
        if day is None:
            yield dg.AssetCheckResult(**evaluation)
            return
        yield dg.AssetCheckEvaluation(asset_key=key, check_name=name, partition=day, blocking=blocking,
                                      target_materialization_data=_checked_materialization(context, key, day), **evaluation)
    yield dg.Output(None)  # the check op's own output, which AssetCheckResult would have given


def _build_check(model: Model, table: Table, name: str, description: str, distributions: bool) -> dg.AssetChecksDefinition:
    blocking = not distributions
    severity = dg.AssetCheckSeverity.WARN if distributions else dg.AssetCheckSeverity.ERROR

    @dg.asset_check(asset=asset_key(model, table.name), name=name, blocking=blocking,
                    partitions_def=partitions_for(model, table.name), description=f"{table.name}: {description}")
    def _check(context: dg.AssetCheckExecutionContext, gengo: GengoResource):
        yield from _evaluate(context, gengo, model, table, name, distributions, severity, blocking)

    return _check


def _integrity_check(model: Model, table: Table) -> dg.AssetChecksDefinition:
    return _build_check(model, table, "integrity", "keys unique and dense, foreign keys valid as of the day, composite "
                        "references, declared types and allowed values (Great Expectations over DuckDB aggregates)", False)


def _distribution_check(model: Model, table: Table) -> dg.AssetChecksDefinition:
    claims = [d for d in model.distributions if d.table == table.name]
    return _build_check(model, table, "distributions", "; ".join(f"{d.name} ({d.doc or d.check})" for d in claims), True)


def _profile_asset(model: Model) -> dg.AssetsDefinition:
    @dg.asset(key=dg.AssetKey([model.name, "profile"]), group_name=group_name(model), kinds={"duckdb"},
              deps=[asset_key(model, t.name) for t in model.tables],
              backfill_policy=dg.BackfillPolicy.single_run(),  # so 'key:<model>/*' partition ranges run in one run
              description=f"DuckDB SUMMARIZE of every {model.name} table, cross-table aggregates and an offline HTML report")
    def profile(context: dg.AssetExecutionContext, gengo: GengoResource) -> dg.MaterializeResult:
        from ..quality.profile import profile as run_profile
        from ..quality.profile import write_report
        from ..store.dataset import read_current
        from ..store.storage import open_storage

        root, fmt, _, _ = _where(gengo, model)
        manifest, _ = read_current(open_storage(root))
        if manifest is None or not manifest.files:
            raise dg.Failure(f"no {model.name} dataset under {root}; materialize its tables first")
        ext = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}[fmt]
        prof = run_profile(str(root), model=model)
        prof.tables = [t for t in prof.tables if t.name in {x.name for x in model.tables}]
        report = write_report(prof, root, title=f"gengo profile: {model.name}")
        context.log.info(f"profiled {len(prof.tables)} tables ({ext}) in {prof.seconds:.1f} s -> {report}")
        return dg.MaterializeResult(metadata={
            "summary": dg.MetadataValue.md(prof.markdown()),
            "tables": dg.MetadataValue.md(prof.table_markdown()),
            "references": dg.MetadataValue.md(prof.cross_markdown()),
            "report": dg.MetadataValue.path(str(report)),
            "associations": dg.MetadataValue.md(prof.heatmap_markdown()),
            "charts": len(prof.charts) + len(prof.heatmaps),
            "rows": sum(t.rows for t in prof.tables),
            "seconds": round(prof.seconds, 2),
        })

    return profile


def quality_defs(model: Model) -> dg.Definitions:
    with warnings.catch_warnings():
        # partitioned asset checks are "preview" and BackfillPolicy "beta" in Dagster 1.13: both are what
        # per-day checks and single-run ranges need, and a user can do nothing about the notice
        warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")
        warnings.simplefilter("ignore", dg.BetaWarning)
        checks = []
        for t in model.tables:
            checks.append(_integrity_check(model, t))
            if any(d.table == t.name for d in model.distributions):
                checks.append(_distribution_check(model, t))
        return dg.Definitions(asset_checks=checks, assets=[_profile_asset(model)])
