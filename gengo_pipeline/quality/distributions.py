"""The distribution-check registry: every `Distribution(check=KIND, args=...)` a model claims runs here.

A check kind is a function `(ctx: DistContext, **args) -> Outcome`, registered with `@register(KIND)`.
It asks DuckDB small aggregate questions about one table (`ctx.rel`, a view over the table's rows in
scope, with a `date` column for day-partitioned tables) and compares the answer with the claim.

Tolerances are derived from the sample size, not guessed: a claimed share p observed over n rows may
differ by Z standard errors, sqrt(p (1 - p) / n); where rows are not independent (daily volumes share a
day's noise), the standard error is measured between days or weeks of the data itself. Z = 4 (a false
alarm about once in 16,000 checks). A check that needs data the scope does not hold (a December peak in
a January dataset, a weekday shape from fewer than two full weeks) is "n/a", not a failure.

Kinds with severity "error" are integrity rules a model may declare beyond what the suite derives from
its generators (a row condition such as low <= open <= high, a composite reference); they block.

Adding a kind: write a function here (or in a model module, importing `register`), decorate it, declare
it in the model's `distributions`, and say in `doc` what it claims.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

Z = 4.0


@dataclass
class Outcome:
    """passed: True, False, or None (not applicable to this scope). bad_rows: rows violating a row rule."""

    passed: bool | None
    observed: Any = None
    expected: Any = None
    tolerance: float | None = None
    n: int = 0
    detail: str = ""
    bad_rows: int = 0
    column: str = ""


@dataclass
class DistContext:
    con: Any  # a duckdb connection
    rel: str  # a view name over the table's rows in scope
    table: Any  # gengo_pipeline.engine.spec.Table
    model: Any  # gengo_pipeline.engine.spec.Model
    views: dict[str, str] = field(default_factory=dict)  # table name -> view name (other tables of the model)

    def one(self, sql: str) -> tuple:
        rows = self.con.execute(sql).fetchall()
        return rows[0] if rows else ()

    def all(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()


@dataclass(frozen=True)
class Kind:
    name: str
    fn: Callable[..., Outcome]
    severity: str  # "warn" (distribution) or "error" (integrity rule)
    doc: str


KINDS: dict[str, Kind] = {}


def register(name: str, severity: str = "warn"):
    def deco(fn):
        KINDS[name] = Kind(name, fn, severity, (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "")
        return fn

    return deco


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def critical(dof: int | None = None) -> float:
    """Z, or for a standard error estimated from `dof` degrees of freedom the Student-t value of the same
    two-sided false-alarm rate (few weeks of data give a loose bound, many weeks converge to Z)."""
    if not dof or dof >= 1000:
        return Z
    from scipy import stats

    return float(stats.t.ppf(1 - stats.norm.sf(Z), dof))


def binomial_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))


def run(kind: str, ctx: DistContext, args: dict) -> Outcome:
    if kind not in KINDS:
        return Outcome(False, detail=f"unknown check kind {kind!r}; register it in gengo_pipeline/quality/distributions.py "
                                     f"(known: {', '.join(sorted(KINDS))})")
    try:
        return KINDS[kind].fn(ctx, **args)
    except TypeError as e:
        return Outcome(False, detail=f"bad args for {kind}: {e}")


JULIAN_EPOCH = 2440588  # the Julian day number of 1970-01-01


def _day_expr(column: str, ctx: DistContext | None = None) -> str:
    """The row's day: a date or timestamp column, or an integer one holding a Julian day (TPC-DS's date keys,
    which date a row whatever its file's partition: a month's files hold many days)."""
    if ctx is not None and any(c.name == column and c.type in ("int64", "int32") for c in ctx.table.output_columns):
        return f"(DATE '1970-01-01' + CAST({q(column)} - {JULIAN_EPOCH} AS INTEGER))"
    return f"CAST({q(column)} AS DATE)"


# ------------------------------------------------------------------ time shapes


@register("weekday_share")
def weekday_share(ctx: DistContext, column: str, weights: list[float], **_) -> Outcome:
    """Rows per weekday (Mon..Sun) follow `weights`: each weekday's share of a full week, averaged over weeks.

    Expected share of weekday k: w_k / sum(w). Standard error: the spread of that share between complete
    weeks / sqrt(weeks), floored by the binomial error of the rows (needs two complete weeks).
    """
    rows = ctx.all(f"""
        WITH d AS (SELECT {_day_expr(column, ctx)} AS day, count(*) AS n FROM {ctx.rel} WHERE {q(column)} IS NOT NULL GROUP BY 1),
             w AS (SELECT date_trunc('week', day) AS wk, isodow(day) AS dow, n FROM d),
             full_weeks AS (SELECT wk FROM w GROUP BY wk HAVING count(*) = 7)
        SELECT wk, dow, n FROM w WHERE wk IN (SELECT wk FROM full_weeks) ORDER BY wk, dow""")
    weeks: dict = {}
    for wk, dow, n in rows:
        weeks.setdefault(wk, [0] * 7)[dow - 1] = n
    total_w = sum(weights)
    expected = [w / total_w for w in weights]
    if len(weeks) < 2:
        return Outcome(None, expected=[round(e, 4) for e in expected], detail=f"needs 2 complete weeks, scope has {len(weeks)}")
    shares = [[c / max(sum(wk), 1) for c in wk] for wk in weeks.values()]
    n_rows = sum(sum(wk) for wk in weeks.values())
    crit = critical(len(weeks) - 1)
    worst, worst_z, observed, tol_of = -1, -1.0, [], []
    for k in range(7):
        s = [row[k] for row in shares]
        mean = sum(s) / len(s)
        sd = math.sqrt(sum((x - mean) ** 2 for x in s) / (len(s) - 1))
        se = max(sd / math.sqrt(len(s)), binomial_se(expected[k], n_rows))
        observed.append(round(mean, 4))
        tol_of.append(crit * se)
        zk = abs(mean - expected[k]) / se
        if zk > worst_z:
            worst, worst_z = k, zk
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    ok = worst_z <= crit
    return Outcome(ok, observed=observed, expected=[round(e, 4) for e in expected], tolerance=round(tol_of[worst], 4),
                   n=n_rows, column=column,
                   detail=f"{len(weeks)} full weeks; worst {names[worst]}: share {observed[worst]:.4f} vs {expected[worst]:.4f} "
                          f"({worst_z:.1f} standard errors, limit {crit:.1f})")


@register("month_peak")
def month_peak(ctx: DistContext, column: str, peak_month: int, **_) -> Outcome:
    """`peak_month` has the most rows per day of the months in scope (not significantly fewer than any other)."""
    rows = ctx.all(f"""
        WITH d AS (SELECT {_day_expr(column, ctx)} AS day, count(*) AS n FROM {ctx.rel} WHERE {q(column)} IS NOT NULL GROUP BY 1)
        SELECT month(day) AS m, avg(n), coalesce(stddev_samp(n), 0), count(*) FROM d GROUP BY 1 ORDER BY 1""")
    stats = {m: (avg, sd, days) for m, avg, sd, days in rows}
    if peak_month not in stats or len(stats) < 2:
        return Outcome(None, expected=peak_month, detail=f"scope covers months {sorted(stats)}; needs month {peak_month} and another")
    top = max(stats, key=lambda m: stats[m][0])
    pa, psd, pd_ = stats[peak_month]
    ta, tsd, td = stats[top]
    se = math.sqrt(psd**2 / pd_ + tsd**2 / td) if top != peak_month else 0.0
    crit = critical(min(pd_, td) - 1)
    ok = top == peak_month or pa >= ta - crit * se
    return Outcome(ok, observed=top, expected=peak_month, tolerance=round(crit * se, 2), n=sum(s[2] for s in stats.values()),
                   column=column, detail=f"rows/day: month {peak_month} {pa:,.1f}, busiest month {top} {ta:,.1f}")


@register("hour_share")
def hour_share(ctx: DistContext, column: str, hours: list[int], min_share: float | None = None,
               max_share: float | None = None, **_) -> Outcome:
    """The share of rows whose hour of day is in `hours` lies in [min_share, max_share] (binomial tolerance)."""
    n, k = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE hour({q(column)}) IN ({', '.join(map(str, hours))})) "
                   f"FROM {ctx.rel} WHERE {q(column)} IS NOT NULL")
    if not n:
        return Outcome(None, detail="no rows")
    share = k / n
    lo = -1.0 if min_share is None else min_share
    hi = 2.0 if max_share is None else max_share
    se = binomial_se(min(max(share, lo), hi), n)
    ok = lo - Z * se <= share <= hi + Z * se
    return Outcome(ok, observed=round(share, 4), expected=[min_share, max_share], tolerance=round(Z * se, 4), n=n, column=column,
                   detail=f"share of rows in hours {hours}: {share:.4f}")


# ------------------------------------------------------------------ categorical mixes


def _share_check(ctx, column, n, k, what, expected=None, min=None, max=None) -> Outcome:
    if not n:
        return Outcome(None, detail="no rows", column=column)
    share = k / n
    if expected is not None:
        se = binomial_se(expected, n)
        ok = abs(share - expected) <= Z * se
        return Outcome(ok, observed=round(share, 4), expected=expected, tolerance=round(Z * se, 4), n=n, column=column,
                       detail=f"share of {what}: {share:.4f} vs {expected} +- {Z * se:.4f}")
    lo = -1.0 if min is None else min
    hi = 2.0 if max is None else max
    se = binomial_se(lo if share < lo else hi if share > hi else share, n)
    ok = lo - Z * se <= share <= hi + Z * se
    return Outcome(ok, observed=round(share, 4), expected=[min, max], tolerance=round(Z * se, 4), n=n, column=column,
                   detail=f"share of {what}: {share:.4f}, claimed in [{min}, {max}]")


@register("share")
def share(ctx: DistContext, column: str, value: Any = None, values: list | None = None, expected: float | None = None,
          min: float | None = None, max: float | None = None, **_) -> Outcome:
    """The share of rows whose `column` equals `value` (or is in `values`) is `expected`, or lies in [min, max]."""
    vals = values if values is not None else [value]
    n, k = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE CAST({q(column)} AS VARCHAR) IN ({', '.join(lit(str(v)) for v in vals)})) "
                   f"FROM {ctx.rel}")
    return _share_check(ctx, column, n, k, f"{column} in {vals}", expected, min, max)


@register("share_nonzero")
def share_nonzero(ctx: DistContext, column: str, expected: float | None = None, min: float | None = None,
                  max: float | None = None, **_) -> Outcome:
    """The share of rows with a non-zero `column` is `expected` (e.g. lines with a discount)."""
    n, k = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE {q(column)} <> 0) FROM {ctx.rel} WHERE {q(column)} IS NOT NULL")
    return _share_check(ctx, column, n, k, f"non-zero {column}", expected, min, max)


# ------------------------------------------------------------------ numbers by group, skew


@register("median_order")
def median_order(ctx: DistContext, column: str, by: str, higher: Any, lower: Any, **_) -> Outcome:
    """The median of `column` where `by` = `higher` exceeds the median where `by` = `lower` (each group >= 10 rows).

    The tolerance is the standard error of a difference of medians, 1.2533 sd / sqrt(n) per group: the check
    fails when the claimed order is reversed by more than Z of them, or when the two medians are equal.
    """
    rows = ctx.all(f"SELECT CAST({q(by)} AS VARCHAR), median(CAST({q(column)} AS DOUBLE)), coalesce(stddev_samp(CAST({q(column)} AS DOUBLE)), 0), "
                   f"count(*) FROM {ctx.rel} WHERE CAST({q(by)} AS VARCHAR) IN ({lit(str(higher))}, {lit(str(lower))}) GROUP BY 1")
    g = {r[0]: r[1:] for r in rows}
    if str(higher) not in g or str(lower) not in g or g[str(higher)][2] < 10 or g[str(lower)][2] < 10:
        return Outcome(None, detail=f"needs 10 rows in both groups {by}={higher} and {by}={lower}", column=column)
    (mh, sh, nh), (ml, sl, nl) = g[str(higher)], g[str(lower)]
    se = math.sqrt((1.2533 * sh) ** 2 / nh + (1.2533 * sl) ** 2 / nl)
    ok = mh > ml or (mh != ml and mh >= ml - Z * se)
    return Outcome(ok, observed=[round(mh, 2), round(ml, 2)], expected=f"median({by}={higher}) > median({by}={lower})",
                   tolerance=round(Z * se, 2), n=nh + nl, column=column,
                   detail=f"median {column}: {by}={higher} {mh:,.2f} (n={nh}), {by}={lower} {ml:,.2f} (n={nl})")


@register("top_share")
def top_share(ctx: DistContext, column: str, top_fraction: float, expected: float, precision: float = 0.1, **_) -> Outcome:
    """The most frequent `top_fraction` of the key space 1..max(column) accounts for `expected` of the rows.

    Binomial tolerance over the rows, plus the selection bias of ranking keys by observed counts (the top
    group is chosen by its own noise): Z sqrt(p(1-p)/n) + sqrt(top keys x mean count) / n, plus the claim's
    own stated precision (`precision`, relative, default 0.1: "about 10%" - the key space grows during the
    window, so the power law's top share is only approximately `expected` at any scale).
    """
    n, n_keys = ctx.one(f"SELECT count({q(column)}), max({q(column)}) FROM {ctx.rel}")
    if not n or not n_keys:
        return Outcome(None, detail="no rows", column=column)
    top = max(1, int(round(top_fraction * n_keys)))
    (k,) = ctx.one(f"SELECT coalesce(sum(c), 0) FROM (SELECT count(*) AS c FROM {ctx.rel} WHERE {q(column)} IS NOT NULL "
                   f"GROUP BY {q(column)} ORDER BY c DESC LIMIT {top})")
    share = k / n
    se = binomial_se(expected, n)
    bias = math.sqrt(top * max(k / top, 1.0)) / n  # one standard deviation of each top key's count, summed in quadrature
    tol = Z * se + Z * bias + precision * expected
    ok = abs(share - expected) <= tol
    return Outcome(ok, observed=round(share, 4), expected=expected, tolerance=round(tol, 4), n=n, column=column,
                   detail=f"top {top} of {n_keys} keys ({top_fraction:.1%}) hold {share:.2%} of {n:,} rows")


@register("mean_between")
def mean_between(ctx: DistContext, column: str, min: float | None = None, max: float | None = None, **_) -> Outcome:
    """The mean of `column` lies in [min, max], up to Z standard errors of the mean."""
    n, mean, sd = ctx.one(f"SELECT count({q(column)}), avg(CAST({q(column)} AS DOUBLE)), coalesce(stddev_samp(CAST({q(column)} AS DOUBLE)), 0) FROM {ctx.rel}")
    if not n:
        return Outcome(None, detail="no rows", column=column)
    se = sd / math.sqrt(n)
    lo = -math.inf if min is None else min
    hi = math.inf if max is None else max
    ok = lo - Z * se <= mean <= hi + Z * se
    return Outcome(ok, observed=round(mean, 4), expected=[min, max], tolerance=round(Z * se, 4), n=n, column=column,
                   detail=f"mean {column} {mean:,.4f}, claimed in [{min}, {max}]")


@register("correlation")
def correlation(ctx: DistContext, x: str, y: str, min: float | None = None, max: float | None = None, **_) -> Outcome:
    """Pearson correlation of `x` and `y` lies in [min, max] (Fisher-z standard error 1/sqrt(n-3))."""
    n, r = ctx.one(f"SELECT count(*), corr(CAST({q(x)} AS DOUBLE), CAST({q(y)} AS DOUBLE)) FROM {ctx.rel} "
                   f"WHERE {q(x)} IS NOT NULL AND {q(y)} IS NOT NULL")
    if not n or n < 10 or r is None:
        return Outcome(None, detail="needs 10 rows", column=x)
    se = 1 / math.sqrt(n - 3)
    zr = math.atanh(max(min_(r, 0.999999), -0.999999))
    lo = -1.0 if min is None else min
    hi = 1.0 if max is None else max
    ok = math.atanh(max_(lo, -0.999999)) - Z * se <= zr <= math.atanh(min_(hi, 0.999999)) + Z * se
    return Outcome(ok, observed=round(r, 4), expected=[min, max], tolerance=round(Z * se, 4), n=n, column=f"{x},{y}",
                   detail=f"corr({x}, {y}) = {r:.4f}, claimed in [{min}, {max}]")


min_, max_ = min, max  # the builtins, shadowed by argument names above


# ------------------------------------------------------------------ integrity rules a model may declare (blocking)


@register("row_condition", severity="error")
def row_condition(ctx: DistContext, condition: str, column: str = "", **_) -> Outcome:
    """Every row satisfies the SQL boolean `condition` (e.g. "low <= open AND open <= high")."""
    n, bad = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE NOT coalesce(({condition}), false)) FROM {ctx.rel}")
    return Outcome(bad == 0, observed=bad, expected=0, n=n, bad_rows=bad, column=column or condition,
                   detail=f"{bad:,} of {n:,} rows violate {condition}")


@register("composite_ref", severity="error")
def composite_ref(ctx: DistContext, columns: list[str], table: str, target: list[str] | None = None,
                  where: str | None = None, **_) -> Outcome:
    """Each row's (`columns`) matches a row of `table` on (`target`), by a DuckDB anti-join (e.g. a return -> its sale).

    Rows whose `columns` are all null are not references. `where` filters the referenced rows (SQL over `t`).
    """
    target = target or columns
    if table not in ctx.views:
        return Outcome(None, detail=f"table {table} is not in scope", column=",".join(columns))
    on = " AND ".join(f"t.{q(b)} = s.{q(a)}" for a, b in zip(columns, target))
    notnull = " OR ".join(f"s.{q(a)} IS NOT NULL" for a in columns)
    extra = f" AND ({where})" if where else ""
    n, bad = ctx.one(f"SELECT (SELECT count(*) FROM {ctx.rel}), count(*) FROM {ctx.rel} s WHERE ({notnull}) "
                     f"AND NOT EXISTS (SELECT 1 FROM {ctx.views[table]} t WHERE {on}{extra})")
    return Outcome(bad == 0, observed=bad, expected=0, n=n, bad_rows=bad, column=",".join(columns),
                   detail=f"{bad:,} rows have ({', '.join(columns)}) with no matching {table} ({', '.join(target)})")


@register("return_rate")
def return_rate(ctx: DistContext, sales: str, sold_date: str, keys: list[str], sale_keys: list[str], rate: float,
                max_lag_days: int, **_) -> Outcome:
    """The share of `sales` lines that this returns table returns is `rate` (lines sold >= max_lag_days before
    the last sale date in scope, so every return of them is in scope; binomial tolerance). Date keys: day numbers."""
    if sales not in ctx.views:
        return Outcome(None, detail=f"table {sales} is not in scope", column=",".join(keys))
    first, last = ctx.one(f"SELECT min({q(sold_date)}), max({q(sold_date)}) FROM {ctx.views[sales]}")
    if first is None or last - first < max_lag_days:
        return Outcome(None, expected=rate, detail=f"needs more than {max_lag_days} days of sales in scope", column=",".join(keys))
    on = " AND ".join(f"r.{q(a)} = s.{q(b)}" for a, b in zip(keys, sale_keys))
    n, k = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {ctx.rel} r WHERE {on})) "
                   f"FROM {ctx.views[sales]} s WHERE s.{q(sold_date)} <= {int(last) - int(max_lag_days)}")
    return _share_check(ctx, ",".join(keys), n, k, f"{sales} lines returned", expected=rate)


@register("unique_columns", severity="error")
def unique_columns(ctx: DistContext, columns: list[str], **_) -> Outcome:
    """No two rows share the values of `columns` (e.g. a doctor is never booked twice in one slot)."""
    cols = ", ".join(q(c) for c in columns)
    n, distinct = ctx.one(f"SELECT count(*), count(DISTINCT ({cols})) FROM {ctx.rel}")
    return Outcome(n == distinct, observed=n - distinct, expected=0, n=n, bad_rows=n - distinct, column=",".join(columns),
                   detail=f"{n - distinct:,} of {n:,} rows repeat ({', '.join(columns)})")
