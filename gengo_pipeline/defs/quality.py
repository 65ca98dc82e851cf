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
from pathlib import Path

import dagster as dg

from ..engine.spec import Model, Table
from .keys import asset_key, group_name
from .partitions import partitions_for
from .resources import GengoResource

READ_ORDER = ("parquet", "csv", "jsonl")
# partitioned asset checks are "preview" in Dagster 1.13; they work and are what the issue asks for
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")
warnings.filterwarnings("ignore", category=dg.BetaWarning)  # BackfillPolicy is beta in 1.13


def _dates(context) -> "tuple[dt.date, dt.date] | None":
    if not context.has_partition_key and not getattr(context, "has_partition_key_range", False):
        return None
    try:
        r = context.partition_key_range
        return dt.date.fromisoformat(r.start), dt.date.fromisoformat(r.end)
    except Exception:  # noqa: BLE001 - a single key
        d = dt.date.fromisoformat(context.partition_key)
        return d, d


def _where(gengo: GengoResource, model: Model) -> tuple[Path, str, dict, dt.date]:
    s = gengo.settings()
    fmts = s.format_list
    fmt = next((f for f in READ_ORDER if f in fmts), fmts[0])
    return Path(s.out) / model.name, fmt, s.model_params(model.name), s.origin


def _metadata(results) -> dict:
    rows = ["| check | column | result | bad rows | detail |", "|---|---|---|---:|---|"]
    for r in results:
        rows.append(f"| {r.check} | {r.column} | {r.status} | {r.bad_rows:,} | {r.message.replace('|', '/')[:160]} |")
    failed = [r for r in results if r.passed is False]
    return {"checks": dg.MetadataValue.md("\n".join(rows)), "failed": len(failed),
            "passed": sum(1 for r in results if r.passed), "bad_rows": sum(r.bad_rows for r in failed),
            **({"failures": dg.MetadataValue.text("\n".join(r.line() for r in failed))} if failed else {})}


def _run(context, gengo: GengoResource, model: Model, table: Table, distributions: bool):
    return check_results(gengo, model, table, _dates(context) if table.partitioned else None, distributions)


def check_results(gengo: GengoResource, model: Model, table: Table, dates, distributions: bool):
    """The suite's results for one table over `dates` (first, last), as the asset checks report them."""
    from ..quality.suite import Suite

    root, fmt, params, origin = _where(gengo, model)
    from ..run.plan import make_plan
    from .generate import window_settings

    settings = gengo.settings()
    engine = make_plan(model, window_settings(settings, dates[0] if dates else None, 1)).engine()
    suite = Suite(root, model, fmt=fmt, dates=dates, params=params, origin=origin, tables=[table.name], distributions=distributions,
                  engine=engine, integrity=not distributions)
    results = suite.run().results
    if distributions:
        return [r for r in results if r.severity == "warn" or r.check in {d.name for d in model.distributions}]
    return [r for r in results if r.severity == "error" and r.check not in {d.name for d in model.distributions}]


def _check_result(results: list, severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    ok = all(r.passed is not False for r in results)
    return dg.AssetCheckResult(passed=ok, severity=severity, metadata=_metadata(results),
                               description=None if ok else "; ".join(r.line() for r in results if r.passed is False)[:1000])


def _integrity_check(model: Model, table: Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset_key(model, table.name), name="integrity", blocking=True,
                    partitions_def=partitions_for(model, table.name),
                    description=f"{table.name}: keys unique and dense, foreign keys valid as of the day, composite references, "
                                f"declared types and allowed values (Great Expectations over DuckDB aggregates)")
    def integrity(context: dg.AssetCheckExecutionContext, gengo: GengoResource) -> dg.AssetCheckResult:
        return _check_result(_run(context, gengo, model, table, distributions=False), dg.AssetCheckSeverity.ERROR)

    return integrity


def _distribution_check(model: Model, table: Table) -> dg.AssetChecksDefinition:
    claims = [d for d in model.distributions if d.table == table.name]

    @dg.asset_check(asset=asset_key(model, table.name), name="distributions", blocking=False,
                    partitions_def=partitions_for(model, table.name),
                    description=f"{table.name}: " + "; ".join(f"{d.name} ({d.doc or d.check})" for d in claims))
    def distributions(context: dg.AssetCheckExecutionContext, gengo: GengoResource) -> dg.AssetCheckResult:
        return _check_result(_run(context, gengo, model, table, distributions=True), dg.AssetCheckSeverity.WARN)

    return distributions


def _profile_asset(model: Model) -> dg.AssetsDefinition:
    @dg.asset(key=dg.AssetKey([model.name, "profile"]), group_name=group_name(model), kinds={"duckdb"},
              deps=[asset_key(model, t.name) for t in model.tables],
              backfill_policy=dg.BackfillPolicy.single_run(),  # so 'key:<model>/*' partition ranges run in one run
              description=f"DuckDB SUMMARIZE of every {model.name} table, cross-table aggregates and an offline HTML report")
    def profile(context: dg.AssetExecutionContext, gengo: GengoResource) -> dg.MaterializeResult:
        from ..quality.profile import profile as run_profile
        from ..quality.profile import write_html

        root, fmt, _, _ = _where(gengo, model)
        found = [t.name for t in model.tables if (root / t.name).is_dir()]
        if not found:
            raise dg.Failure(f"no {model.name} output under {root}; materialize its tables first")
        ext = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}[fmt]
        prof = run_profile(str(root), model=model)
        prof.tables = [t for t in prof.tables if t.name in {x.name for x in model.tables}]
        report = write_html(prof, root / "profile.html", title=f"gengo profile: {model.name}")
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
    checks = []
    for t in model.tables:
        checks.append(_integrity_check(model, t))
        if any(d.table == t.name for d in model.distributions):
            checks.append(_distribution_check(model, t))
    return dg.Definitions(asset_checks=checks, assets=[_profile_asset(model)])
