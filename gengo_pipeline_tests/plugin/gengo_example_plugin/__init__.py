"""A gengo plugin: the `sine_wave` generator, the `plugin-shop` model that uses it, the `all_positive` check, the
`paydays` calendar, the `fixed_per_day` volume and the `tally:PATH` stream sink.

gengo finds them through the entry points in pyproject.toml; nothing in gengo names this package.
"""
from __future__ import annotations

import numpy as np

from gengo_pipeline.engine.generators import Allowed, Generator
from gengo_pipeline.engine.spec import Model, Num
from gengo_pipeline.engine.calendar import calendar, dates_of
from gengo_pipeline.engine.volumes import VolumeRuntime
from gengo_pipeline.quality.distributions import DistContext, Outcome, q
from gengo_pipeline.stream.sinks import Sink


class SineWave(Generator):
    """base + amplitude x sin(2 pi day / period_days) x u, u uniform in [0, 1) per row: a weekly tide."""

    class Cfg(Generator.Cfg):
        base: Num
        amplitude: Num
        period_days: Num = 7

    @classmethod
    def allowed(cls, cfg, num):  # it describes its values: gengo validate checks the column against them
        base, amplitude = num(cfg["base"]), abs(num(cfg["amplitude"]))
        return Allowed(low=min(base, base - amplitude), high=base + amplitude)

    def __call__(self, ctx):
        phase = 2 * np.pi * ctx.day / self.p(self.cfg.period_days)
        return self.p(self.cfg.base) + self.p(self.cfg.amplitude) * np.sin(phase) * ctx.uniform()


def all_positive(ctx: DistContext, column: str, **_) -> Outcome:
    """Every value of `column` is above zero."""
    n, bad = ctx.one(f"SELECT count(*), count(*) FILTER (WHERE {q(column)} <= 0) FROM {ctx.rel}")
    return Outcome(bad == 0, observed=bad, expected=0, n=n, column=column, bad_rows=bad,
                   detail=f"{bad} of {n} rows have {column} <= 0")


def paydays(dates: np.ndarray) -> np.ndarray:
    """The 15th and the last day of each month."""
    days = dates.astype("datetime64[D]")
    nxt = days + np.timedelta64(1, "D")
    return ((days - days.astype("datetime64[M]")).astype(int) == 14) | (nxt.astype("datetime64[M]") != days.astype("datetime64[M]"))


class FixedPerDay(VolumeRuntime):
    """`args.rows` rows on each day of the calendar `args.calendar` (default every day), none on the others."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        self.rows = int(spec.args["rows"])
        self.days_of = calendar(spec.args.get("calendar", "daily"))

    def rows_on_days(self, days: np.ndarray) -> np.ndarray:
        return np.where(self.days_of(dates_of(self.engine.origin, days)), self.rows, 0).astype(np.int64)


class TallySink(Sink):
    """`gengo stream --sink tally:PATH`: events per table so far, as `table<TAB>count` lines, rewritten at each write."""

    scheme = "tally"

    def open(self, stream, start) -> None:
        super().open(stream, start)
        self.counts: dict[str, int] = {}

    def write(self, block, a, b, after) -> None:
        for table, frame in block.slices(a, b):
            self.counts[table] = self.counts.get(table, 0) + frame.height
        with open(self.target, "w") as f:
            f.writelines(f"{t}\t{n}\n" for t, n in sorted(self.counts.items()))
        self.committed = after


MODEL = Model.model_validate({
    "name": "plugin-shop", "aliases": ["pshop"], "doc": "A plugin's model: shops and their sales on a weekly tide.",
    "params": {"sales_per_day": 300.0}, "sizing_table": "sales",
    "tables": [
        {"name": "shops", "key": "shop_id", "partitioned": False, "volume": {"kind": "static", "rows": 6},
         "columns": [{"name": "shop_id", "type": "int64", "gen": {"kind": "key"}},
                     {"name": "city", "type": "string", "gen": {"kind": "choice", "values": ["Lyon", "Porto", "Graz"]}}]},
        {"name": "sales", "key": "sale_id", "volume": {"kind": "flow", "rate": "$sales_per_day"},
         "columns": [{"name": "sale_id", "type": "int64", "gen": {"kind": "key"}},
                     {"name": "sale_date", "type": "date", "gen": {"kind": "day_date"}},
                     {"name": "shop_id", "type": "int64", "gen": {"kind": "ref", "table": "shops"}},
                     {"name": "amount", "type": "float64", "gen": {"kind": "sine_wave", "base": 50, "amplitude": 40}}]},
    ],
    "distributions": [{"name": "sales amounts are positive", "table": "sales", "check": "all_positive",
                       "args": {"column": "amount"}}],
})
