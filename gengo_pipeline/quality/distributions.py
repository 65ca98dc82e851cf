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

Correlation claims (`association`, `share_ratio`, `peak_hours`, `retention`) may read other tables through
`joins` ([{"table": ..., "as": alias, "on": SQL, "same_days": bool, "left": bool}]; the claim's rows are `s`); the
suite gives each joined table a view (over the claim's days when `same_days`, else all days up to them).
`association_table` gives the contingency table of an association claim, for the profile's heat maps.

Adding a kind: write a function here (or in a model module, importing `register`), decorate it, declare
it in the model's `distributions`, and say in `doc` what it claims.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

from ..registry import Registry

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


def _kind(name: str, fn: Callable[..., Outcome], severity: str = "warn") -> Kind:
    return Kind(name, fn, severity, (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "")


# check kinds: the ones below, and those plugins declare as `gengo.checks` entry points (a function, or one
# their module decorates with `register`)
KINDS: Registry[Kind] = Registry("gengo.checks", adopt=_kind)


def register(name: str, severity: str = "warn"):
    def deco(fn):
        KINDS.add(name, _kind(name, fn, severity))
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
        return Outcome(False, detail=f"unknown check kind {kind!r}; register it in gengo_pipeline/quality/distributions.py or a plugin "
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
          min: float | None = None, max: float | None = None, where: str | None = None, **_) -> Outcome:
    """The share of rows whose `column` equals `value` (or is in `values`) is `expected`, or lies in [min, max]
    (among the rows meeting the SQL condition `where`, if given)."""
    vals = values if values is not None else [value]
    n, k = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE CAST({q(column)} AS VARCHAR) IN ({', '.join(lit(str(v)) for v in vals)})) "
                   f"FROM {ctx.rel}{_where(where)}")
    return _share_check(ctx, column, n, k, f"{column} in {vals}", expected, min, max)


@register("share_nonzero")
def share_nonzero(ctx: DistContext, column: str, expected: float | None = None, min: float | None = None,
                  max: float | None = None, where: str | None = None, **_) -> Outcome:
    """The share of rows with a non-zero `column` is `expected` (e.g. lines with a discount; among the rows
    meeting the SQL condition `where`, if given)."""
    n, k = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE {q(column)} <> 0) FROM {ctx.rel} WHERE {q(column)} IS NOT NULL"
                   f"{' AND (' + where + ')' if where else ''}")
    return _share_check(ctx, column, n, k, f"non-zero {column}", expected, min, max)


def _where(condition: str | None) -> str:
    return f" WHERE ({condition})" if condition else ""


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


# ------------------------------------------------------------------ correlations (joined tables)


def joined(ctx: DistContext, joins: list[dict] | None, where: str | None = None) -> str | None:
    """FROM clause of the claim's rows `s` joined with other tables (None when one is not in scope)."""
    sql = f"{ctx.rel} s"
    for j in joins or []:
        if j["table"] not in ctx.views:
            return None
        sql += f" {'LEFT ' if j.get('left') else ''}JOIN {ctx.views[j['table']]} {j['as']} ON {j['on']}"
    return sql + _where(where)


def association_table(ctx: DistContext, x: str, y: str, joins: list[dict] | None = None, where: str | None = None,
                      one_per: str | None = None, **_) -> list[tuple] | None:
    """(x, y, rows) of the claim's contingency table; `one_per`: only the first row (by the claim table's key)
    of each value of this SQL expression (e.g. one line per order, so an order's lines do not count as
    independent rows)."""
    source = joined(ctx, joins, where)
    if source is None:
        return None
    pick = ""
    if one_per:
        order = f"s.{q(ctx.table.key)}" if ctx.table.key else "1"
        pick = f" QUALIFY row_number() OVER (PARTITION BY {one_per} ORDER BY {order}) = 1"
    return ctx.all(f"SELECT x, y, count(*) FROM (SELECT {x} AS x, {y} AS y FROM {source}{pick}) "
                   f"WHERE x IS NOT NULL AND y IS NOT NULL GROUP BY 1, 2")


def chi_square(cells: list[tuple]) -> tuple[float, int, int, int, float]:
    """(chi-square, degrees of freedom, min(levels) - 1, rows, mutual information in bits) of (x, y, rows) cells."""
    rx: dict = {}
    ry: dict = {}
    n = 0
    for x, y, k in cells:
        rx[x] = rx.get(x, 0) + k
        ry[y] = ry.get(y, 0) + k
        n += k
    seen = {(x, y): k for x, y, k in cells}
    chi = sum((seen.get((x, y), 0) - ex) ** 2 / ex for x in rx for y in ry if (ex := rx[x] * ry[y] / n) > 0)
    mi = sum(k / n * math.log2(k * n / (rx[x] * ry[y])) for x, y, k in cells if k)
    return chi, (len(rx) - 1) * (len(ry) - 1), min(len(rx), len(ry)) - 1, n, mi


@register("association")
def association(ctx: DistContext, x: str, y: str, min_v: float | None = None, max_v: float | None = None,
                joins: list[dict] | None = None, where: str | None = None, one_per: str | None = None,
                min_levels: int = 2, **_) -> Outcome:
    """Cramér's V between the SQL expressions `x` and `y` is at least `min_v` (a claimed association) or at
    most `max_v` (a claimed independence).

    V = sqrt((chi2 - df) / (n (k - 1))) (chi2 less its expectation under independence, k the fewer levels).
    The tolerance comes from the chi-square's own spread: with lambda = n (k - 1) v^2 the claim's
    non-centrality, chi2 has mean df + lambda and variance 2 (df + 2 lambda), and the claim fails only beyond
    Z of those standard deviations. n/a when the scope has fewer than `min_levels` values of x or y, or too
    few rows to tell `min_v` from no association. Mutual information (bits) is reported alongside.
    `x_label`/`y_label` name the two sides in the profile's heat map.
    """
    cells = association_table(ctx, x, y, joins, where, one_per)
    if cells is None:
        return Outcome(None, detail="a joined table is not in scope", column=f"{x} ~ {y}")
    levels = (len({c[0] for c in cells}), len({c[1] for c in cells}))
    if min(levels) < min_levels:
        return Outcome(None, expected=min_v if min_v is not None else max_v, column=f"{x} ~ {y}",
                       detail=f"needs {min_levels} values of each side, scope has {levels[0]} x {levels[1]}")
    chi, df, k1, n, mi = chi_square(cells)
    v = math.sqrt(max(chi - df, 0.0) / (n * k1))
    claim = min_v if min_v is not None else max_v
    lam = n * k1 * claim**2
    sd = math.sqrt(2 * (df + 2 * lam))
    if min_v is not None:
        if lam - Z * sd < Z * math.sqrt(2 * df):  # the claimed floor is within the noise of no association at all
            return Outcome(None, observed=round(v, 4), expected=min_v, n=n, column=f"{x} ~ {y}",
                           detail=f"{n:,} rows cannot tell V >= {min_v} from no association")
        ok = chi >= df + lam - Z * sd
        edge = math.sqrt(max(lam - Z * sd, 0.0) / (n * k1))
    else:
        ok = chi <= df + lam + Z * sd
        edge = math.sqrt((lam + Z * sd) / (n * k1))
    word = "at least" if min_v is not None else "at most"
    return Outcome(ok, observed=round(v, 4), expected=claim, tolerance=round(abs(claim - edge), 4), n=n, column=f"{x} ~ {y}",
                   detail=f"Cramér's V {v:.4f} ({levels[0]} x {levels[1]} values, mutual information {mi:.4f} bits), "
                          f"claimed {word} {claim}")


@register("share_ratio")
def share_ratio(ctx: DistContext, condition: str, numerator: str, denominator: str, min_ratio: float | None = None,
                max_ratio: float | None = None, joins: list[dict] | None = None, where: str | None = None,
                min_rows: int = 30, **_) -> Outcome:
    """The share of rows meeting `condition` among the `numerator` rows is at least `min_ratio` (at most
    `max_ratio`) times its share among the `denominator` rows (all SQL conditions): toys in December against
    the rest of the year, discounts on Black Friday against ordinary days, respiratory diagnoses in winter
    against summer. Tolerance: Z standard errors of the log ratio, sqrt((1-p1)/(n1 p1) + (1-p2)/(n2 p2)).
    n/a when a group has fewer than `min_rows` rows (e.g. a January dataset has no December)."""
    source = joined(ctx, joins, where)
    if source is None:
        return Outcome(None, detail="a joined table is not in scope", column=condition)
    n1, k1, n2, k2 = ctx.one(f"SELECT count(*) FILTER (WHERE {numerator}), count(*) FILTER (WHERE ({numerator}) AND ({condition})), "
                             f"count(*) FILTER (WHERE {denominator}), count(*) FILTER (WHERE ({denominator}) AND ({condition})) "
                             f"FROM {source}")
    claim = min_ratio if min_ratio is not None else max_ratio
    if min(n1, n2) < min_rows or not k1 or not k2:
        return Outcome(None, expected=claim, n=n1 + n2, column=condition,
                       detail=f"needs {min_rows} rows with the condition in both groups, scope has {n1:,} and {n2:,} ({k1:,} / {k2:,} with it)")
    p1, p2 = k1 / n1, k2 / n2
    ratio = p1 / p2
    se = math.sqrt((1 - p1) / (n1 * p1) + (1 - p2) / (n2 * p2))
    if min_ratio is not None:
        ok = math.log(ratio) + Z * se >= math.log(min_ratio)
        edge = min_ratio * math.exp(-Z * se)
    else:
        ok = math.log(ratio) - Z * se <= math.log(max_ratio)
        edge = max_ratio * math.exp(Z * se)
    return Outcome(ok, observed=round(ratio, 4), expected=claim, tolerance=round(abs(claim - edge), 4), n=n1 + n2, column=condition,
                   detail=f"share {p1:.4f} of {n1:,} rows vs {p2:.4f} of {n2:,}: ratio {ratio:.3f}, claimed "
                          f"{'at least' if min_ratio is not None else 'at most'} {claim}")


@register("peak_hours")
def peak_hours(ctx: DistContext, column: str, hours: list[int], by: str, time_zone: str | None = None,
               joins: list[dict] | None = None, min_rows: int = 500, **_) -> Outcome:
    """In every group of the SQL expression `by` (e.g. the customer's country), the busiest hour of the day of
    the timestamp `column` is one of `hours` - in local time when `time_zone` (an SQL expression giving an IANA
    zone; `column` is then UTC) is given. A group passes when its busiest hour is claimed or its count is within
    Z standard errors, sqrt(a + b), of the busiest claimed hour. Groups with fewer than `min_rows` are skipped."""
    source = joined(ctx, joins)
    if source is None:
        return Outcome(None, detail="a joined table is not in scope", column=column)
    ts = f"s.{q(column)}"
    local = f"timezone({time_zone}, timezone('UTC', {ts}))" if time_zone else ts
    rows = ctx.all(f"SELECT {by} AS g, hour({local}) AS h, count(*) FROM {source} WHERE {ts} IS NOT NULL GROUP BY 1, 2")
    groups: dict = {}
    for g, h, k in rows:
        groups.setdefault(g, {})[h] = k
    tested = {g: c for g, c in groups.items() if sum(c.values()) >= min_rows}
    if not tested:
        return Outcome(None, expected=hours, column=column, detail=f"no group of {by} has {min_rows} rows")
    worst, worst_z, peaks = None, -math.inf, {}
    for g, counts in tested.items():
        top = max(counts, key=counts.get)
        best_claimed = max((counts.get(h, 0) for h in hours), default=0)
        peaks[str(g)] = top
        z = (counts[top] - best_claimed) / math.sqrt(counts[top] + best_claimed) if top not in hours else -math.inf
        if z > worst_z or worst is None:
            worst, worst_z = g, z
    ok = worst_z <= Z
    n = sum(sum(c.values()) for c in tested.values())
    return Outcome(ok, observed=peaks, expected=hours, n=n, column=column,
                   detail=f"busiest {'local ' if time_zone else ''}hour per {by}: {peaks}" +
                          ("" if worst_z == -math.inf else f"; worst {worst}: {worst_z:.1f} standard errors above the claimed hours"))


@register("retention")
def retention(ctx: DistContext, signup: str, event: str, windows: list[list[int]], min_first: float = 0.0,
              min_last: float = 0.0, joins: list[dict] | None = None, min_customers: int = 100, **_) -> Outcome:
    """Cohort retention, on a customers table: of the customers who signed up after the scope's first day
    and early enough for every window to end by the last `event` (an order's date, through a left join), the
    share with an event in each window [a, b) of days since sign-up (`signup`, a column) falls from window to
    window (a rise of more than Z binomial standard errors fails), starts at `min_first` or more and ends at
    `min_last` or more."""
    source = joined(ctx, joins)
    if source is None:
        return Outcome(None, detail="a joined table is not in scope", column=signup)
    first, last = ctx.one(f"SELECT min(s.{q(signup)}), max({event}) FROM {source}")
    if first is None or last is None:
        return Outcome(None, detail="no rows", column=signup)
    span = max(b for _, b in windows)
    marks = ", ".join(f"max(CASE WHEN age >= {a} AND age < {b} THEN 1 ELSE 0 END) AS w{i}" for i, (a, b) in enumerate(windows))
    key = q(ctx.table.key) if ctx.table.key else q(signup)
    row = ctx.one(f"""SELECT count(*), {', '.join(f'sum(w{i})' for i in range(len(windows)))} FROM (
        SELECT {marks} FROM (SELECT s.{key} AS c, datediff('day', s.{q(signup)}, {event}) AS age FROM {source}
                             WHERE s.{q(signup)} > DATE '{first}' AND s.{q(signup)} <= DATE '{last}' - INTERVAL {span} DAY) GROUP BY c)""")
    n = row[0] or 0
    if n < min_customers:
        return Outcome(None, expected=[min_first, min_last], n=n, column=signup,
                       detail=f"{n} customers signed up with {span} days of events after them; needs {min_customers}")
    shares = [k / n for k in row[1:]]
    se = [binomial_se(p, n) for p in shares]
    rising = [i for i in range(1, len(shares)) if shares[i] - shares[i - 1] > Z * math.hypot(se[i], se[i - 1])]
    ok = not rising and shares[0] >= min_first - Z * se[0] and shares[-1] >= min_last - Z * se[-1]
    return Outcome(ok, observed=[round(p, 4) for p in shares], expected=[min_first, min_last], tolerance=round(Z * max(se), 4),
                   n=n, column=signup,
                   detail=f"{n:,} customers: share with an event in days {windows} after sign-up "
                          f"{', '.join(f'{p:.3f}' for p in shares)}" + (f"; rises at window {rising[0]}" if rising else ""))


def _spike_rows(ctx: DistContext, group: str, order: str, value: str, price: str, ratio: float) -> str:
    """Per row of a series table: group, order, |log return| since the group's previous row and whether the
    value is at least `ratio` times the group's median (a volume spike)."""
    return f"""(SELECT g, o, abs(ln(p / lag(p) OVER w)) AS r, v >= {ratio!r} * median(v) OVER (PARTITION BY g) AS spike FROM
        (SELECT {q(group)} AS g, {q(order)} AS o, CAST({q(value)} AS DOUBLE) AS v, CAST({q(price)} AS DOUBLE) AS p FROM {ctx.rel})
        WINDOW w AS (PARTITION BY g ORDER BY o))"""


def _mean_ratio(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> tuple[float, float]:
    """A ratio of two means and the standard error of its log (delta method)."""
    return m1 / m2, math.sqrt((s1 / m1) ** 2 / max(n1, 1) + (s2 / m2) ** 2 / max(n2, 1))


@register("volume_spikes")
def volume_spikes(ctx: DistContext, group: str, order: str, value: str, price: str, ratio: float, min_share: float,
                  max_share: float, min_return_ratio: float, min_rows: int = 1000, **_) -> Outcome:
    """Rows whose `value` is at least `ratio` times their group's median (volume spikes: earnings and shock days)
    are a share in [min_share, max_share] of the rows (binomial tolerance), and the absolute log return of
    `price` since the group's previous row is on them at least `min_return_ratio` times its mean elsewhere (Z
    standard errors of the log ratio of means): the spikes are price jumps."""
    n, k, m1, s1, m2, s2 = ctx.one(f"""SELECT count(*), count(*) FILTER (WHERE spike), avg(r) FILTER (WHERE spike),
        stddev_samp(r) FILTER (WHERE spike), avg(r) FILTER (WHERE NOT spike), stddev_samp(r) FILTER (WHERE NOT spike)
        FROM {_spike_rows(ctx, group, order, value, price, ratio)} WHERE r IS NOT NULL""")
    if n < min_rows or k < 10 or not m2:
        return Outcome(None, expected=[min_share, max_share], n=n or 0, column=value, detail=f"needs {min_rows} rows with 10 spikes, scope has {n or 0:,} ({k or 0})")
    share = k / n
    se = binomial_se(min_(max_(share, min_share), max_share), n)
    rr, lse = _mean_ratio(m1, s1 or 0.0, k, m2, s2 or 0.0, n - k)
    ok = min_share - Z * se <= share <= max_share + Z * se and math.log(rr) + Z * lse >= math.log(min_return_ratio)
    return Outcome(ok, observed=[round(share, 4), round(rr, 3)], expected=[min_share, max_share, min_return_ratio],
                   tolerance=round(Z * se, 4), n=n, column=value,
                   detail=f"{k:,} of {n:,} rows ({share:.2%}) have {value} >= {ratio}x their {group}'s median (claimed "
                          f"{min_share:.1%}-{max_share:.1%}); mean |return| on them {rr:.2f}x the rest (claimed at least {min_return_ratio})")


@register("market_days")
def market_days(ctx: DistContext, group: str, order: str, value: str, price: str, ratio: float, share: float,
                per_year: list[float], min_return_ratio: float, min_days: int = 120, **_) -> Outcome:
    """Market-wide event days: dates on which at least `share` of the groups have `value` >= `ratio` x their
    median occur `per_year` = [min, max] times per 252 dates (Poisson tolerance, Z sqrt(expected)), and on them
    the median absolute return across groups is at least `min_return_ratio` times its mean over other dates."""
    rows = ctx.all(f"""SELECT o, avg(spike::INTEGER), median(r) FROM {_spike_rows(ctx, group, order, value, price, ratio)}
                       WHERE r IS NOT NULL GROUP BY o""")
    if len(rows) < min_days:
        return Outcome(None, expected=per_year, n=len(rows), column=value, detail=f"needs {min_days} dates, scope has {len(rows)}")
    event = [r for _, f, r in rows if f >= share]
    calm = [r for _, f, r in rows if f < share]
    years = len(rows) / 252
    lo, hi = per_year[0] * years, per_year[1] * years
    count_ok = lo - Z * math.sqrt(max(lo, 1.0)) <= len(event) <= hi + Z * math.sqrt(max(hi, 1.0))
    ratio_ok, rr = True, None
    if len(event) >= 2 and len(calm) >= 2:
        rr, lse = _mean_ratio(statistics.mean(event), statistics.stdev(event), len(event), statistics.mean(calm),
                              statistics.stdev(calm), len(calm))
        ratio_ok = math.log(rr) + Z * lse >= math.log(min_return_ratio)
    return Outcome(count_ok and ratio_ok, observed=[len(event), None if rr is None else round(rr, 3)], expected=per_year,
                   tolerance=round(Z * math.sqrt(max(hi, 1.0)), 2), n=len(rows), column=value,
                   detail=f"{len(event)} of {len(rows)} dates have {share:.0%} of {group}s at {ratio}x their median {value} "
                          f"({len(event) / years:.1f} a year, claimed {per_year[0]}-{per_year[1]})"
                          + ("" if rr is None else f"; median |return| on them {rr:.2f}x other dates (claimed at least {min_return_ratio})"))


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
