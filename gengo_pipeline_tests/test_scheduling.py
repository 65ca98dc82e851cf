"""How a run's work is shared: units go to workers in groups of at least a batch's worth (tiny day files
together), and the planner's size samples are measured half by the waiting workers, with the same plan."""
from __future__ import annotations

from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from gengo_pipeline.run.runner import FILE_COST_ROWS, unit_groups
from gengo_pipeline.run.plan import Unit, make_plan
from gengo_pipeline.run.settings import load_settings
from gengo_pipeline.models import resolve


def test_groups_keep_order_hold_every_unit_once_and_a_batch_of_work_each():
    sizes = [1_500_000, 900_000, 200_000, 60_000, 30_000, 9_000, *([7] * 40), 0]
    units = [Unit("t", d, 0, 0, n) for d, n in enumerate(sizes)]
    groups = unit_groups(units, 131_072)
    assert [u for g in groups for u in g] == units  # biggest first, nothing lost or repeated
    assert [len(g) for g in groups[:3]] == [1, 1, 1]  # a big unit alone
    cost = [sum(u.rows + FILE_COST_ROWS for u in g) for g in groups]
    assert all(c >= 131_072 for c in cost[:-1])  # every group but the last is a batch's worth
    assert all(c - (g[-1].rows + FILE_COST_ROWS) < 131_072 for c, g in zip(cost, groups))  # and no more than needed
    assert max(len(g) for g in groups) == 131_072 // FILE_COST_ROWS + 1  # tiny days: 7 per group
    assert unit_groups([], 131_072) == []


class _Recording:
    """A real executor whose tasks are kept, to check that they ran and succeeded."""

    def __init__(self, inner) -> None:
        self.inner, self.futures = inner, []

    def submit(self, fn, *args, **kwargs) -> Future:
        self.futures.append(self.inner.submit(fn, *args, **kwargs))
        return self.futures[-1]


class _BrokenHelper:
    """An executor whose every task fails (a worker that died): the planner measures those tables itself."""

    def submit(self, fn, *args, **kwargs) -> Future:
        f: Future = Future()
        f.set_exception(RuntimeError("worker died"))
        return f


def test_the_plan_is_the_same_with_helping_workers_or_without():
    model = resolve("ecommerce")
    settings = load_settings(size="40MB", formats="csv,parquet", seed=4)
    alone = make_plan(model, settings)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:  # this process holds polars' threads
        helper = _Recording(pool)
        helped = make_plan(model, settings, helper)
    # both passes of the primary format and the second format's pass measured half their tables elsewhere
    assert len(helper.futures) == 3 and all(f.exception() is None and len(f.result()) >= 3 for f in helper.futures)
    broken = make_plan(model, settings, _BrokenHelper())
    for plan in (helped, broken):
        assert (plan.scale, plan.days, plan.rows, plan.estimated_bytes) == (alone.scale, alone.days, alone.rows, alone.estimated_bytes)
    assert set(alone.estimated_bytes) == {"csv", "parquet"} and all(v > 0 for v in alone.estimated_bytes["csv"].values())
