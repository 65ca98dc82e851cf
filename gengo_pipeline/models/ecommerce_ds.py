"""ecommerce-ds: TPC-DS, all 24 tables (17 dimensions, 7 facts) with TPC-DS names, types and value domains.

The engine's scale is the TPC-DS scale factor: every table has dsdgen's row count at it (ecommerce_ds_dists).
By default the window is TPC-DS's: sales on 1998-01-02 .. 2003-01-02 (the calendar's sales weights), returns
after their sales (to the end of 2003), inventory every Thursday 1998-01-01 .. 2002-12-26. Dimensions are
unpartitioned and exist from day 0; item, store, call_center, web_page and web_site keep dsdgen's slowly
changing history (1 to 3 versions per business key), and facts join the version valid on their date. Store
tickets and catalog/web orders are header tables that are computed but not written: every line of a ticket
shares its date, time, customer, demographics, address and store. Date keys are Julian day numbers, time
keys seconds since midnight. Money is integer cents internally. Values come from the TPC-DS specification's
distributions (`tpcds/*.csv`); see README (section ecommerce-ds) for the rules and the claims below.
"""
from __future__ import annotations

import datetime as dt

from ..engine.spec import Model
from . import ecommerce_ds_dists as dists

L = "gengo_pipeline.models.ecommerce_ds_logic"
I64, I32, STR, DATE = "int64", "int32", "string", "date"
M72, M52, M152 = "decimal(7,2)", "decimal(5,2)", "decimal(15,2)"
SALES_DAYS = 1827  # 1998-01-02 .. 2003-01-02, dsdgen's sale dates
WINDOW_DAYS = 2191  # 1998-01-01 .. 2003-12-31, dsdgen's data window (the last returns)
SCD_SHIFT = {"item": 66, "store": 294, "call_center": 0, "web_page": 120, "web_site": 138}  # days before the origin


def C(name: str, type: str, gen: dict, hidden: bool = False, doc: str = "") -> dict:
    return {"name": name, "type": type, "gen": gen, "hidden": hidden, "doc": doc}


def H(name: str, gen: dict, type: str = I64) -> dict:
    return C(name, type, gen, hidden=True)


def fn(_f: str, **args) -> dict:
    return {"kind": "custom", "fn": f"{L}:{_f}", **args}


def derive(expr: str) -> dict:
    return {"kind": "derive", "expr": expr}


def uni(low, high) -> dict:
    return {"kind": "uniform_int", "low": low, "high": high}


def choice(values: list) -> dict:
    return {"kind": "choice", "values": values}


def const(v) -> dict:
    return {"kind": "const", "value": v}


def tmpl(fmt: str) -> dict:
    return {"kind": "template", "format": fmt}


def dchoice(name: str, column: int = 0, weight: int = 1) -> dict:
    """A weighted pick from a TPC-DS distribution (values of `column`, weight set `weight`)."""
    pairs = [[v, float(w)] for v, w in zip(dists.values(name, column), dists.weights(name, weight)) if w > 0]
    return choice(pairs)


def rows(table: str, type2: bool = False) -> dict:
    return {"kind": "custom", "runtime": f"{L}:TpcdsRows", "args": {"table": table, "type2": type2}}


def key(name: str) -> dict:
    return C(name, I64, {"kind": "key"})


def bkey(name: str, of: str, add: int = 0) -> dict:
    return C(name, STR, fn("bkey", of=of, add=add))


def person(name: str) -> list[dict]:
    return [H(f"{name}__first", {"kind": "vocab", "name": "first_names"}, STR),
            H(f"{name}__last", {"kind": "vocab", "name": "last_names"}, STR),
            C(name, STR, tmpl(f"{{{name}__first}} {{{name}__last}}"))]


def text(name: str, type: str = STR) -> list[dict]:
    """Free text of TPC-DS's words: '<Adjective> <noun> <verb> <adverb> <adjective> <noun>.'"""
    parts = ["adjectives", "nouns", "verbs", "adverbs", "adjectives", "nouns"]
    cols = [H(f"{name}__w{i}", {"kind": "vocab", "name": p}, STR) for i, p in enumerate(parts)]
    return cols + [C(name, type, tmpl(" ".join(f"{{{name}__w{i}}}" for i in range(len(parts))) + "."))]


def address(p: str, small: str | None = None, gmt: bool = True) -> list[dict]:
    """The TPC-DS address columns <p>_street_number .. <p>_country, <p>_gmt_offset (dsdgen's mk_address):
    county by population and its state, zone and GMT offset; a city; the zip from the city and the zone.
    `small`: a small table (stores, call centres, ...) uses the first few cities and counties, as dsdgen."""
    cols = [
        H(f"{p}__no", uni(1, 1000)),
        C(f"{p}_street_number", STR, tmpl(f"{{{p}__no}}")),
        H(f"{p}__name1", dchoice("street_names", 0, 1), STR), H(f"{p}__name2", dchoice("street_names", 0, 2), STR),
        C(f"{p}_street_name", STR, tmpl(f"{{{p}__name1}} {{{p}__name2}}")),
        C(f"{p}_street_type", STR, dchoice("street_type")),
        C(f"{p}_suite_number", STR, fn("suite")),
        # no `small: null` in the model's data: a TOML model file cannot hold it
        H(f"{p}__city", fn("city_index", **({"small": small} if small else {}))),
        H(f"{p}__county", fn("county_index", **({"small": small} if small else {}))),
        C(f"{p}_city", STR, fn("city_name", of=f"{p}__city")),
        C(f"{p}_county", STR, fn("county_field", of=f"{p}__county", field="county")),
        C(f"{p}_state", STR, fn("county_field", of=f"{p}__county", field="st")),
        C(f"{p}_zip", STR, fn("zip_code", city=f"{p}__city", county=f"{p}__county")),
        C(f"{p}_country", STR, const("United States")),
    ]
    if gmt:
        cols.append(C(f"{p}_gmt_offset", M52, fn("county_field", of=f"{p}__county", field="gmt")))
    return cols


def scd_cols(table: str, p: str, key_col: str, id_col: str) -> list[dict]:
    """Surrogate key, business key (shared by the 1-3 versions) and the validity dates of a history table."""
    shift = SCD_SHIFT[table]
    return [key(key_col), H(f"{p}__key", fn("scd", part="key")), bkey(id_col, f"{p}__key", add=1),
            C(f"{p}_rec_start_date", DATE, fn("scd", part="start", shift=shift)),
            C(f"{p}_rec_end_date", DATE, fn("scd", part="end", shift=shift))]


WEEKDAYS = [1.0] * 7


def header(name: str, kind: str, channel: str, hours: int) -> dict:
    """A ticket/order: date (volume), time, customer, its demographics and address, the store / call centre /
    web site (the version valid that day), and the anchor of its distinct items."""
    cols = [key("number"),
            H("anchor", fn("anchor", customer="customer", share="$repeat_share", width=48)),
            H("time", fn("time_of_day", weight=hours)),
            H("customer", fn("uniform_key", table="customer")),
            H("cdemo", fn("uniform_key", table="customer_demographics")),
            H("hdemo", fn("uniform_key", table="household_demographics")),
            H("addr", fn("uniform_key", table="customer_address"))]
    if kind == "store":
        cols += [H("store", fn("uniform_key", table="store", scd=True))]
    else:
        cols += [H("ship_customer", fn("same_or_other", same="customer", table="customer", p_same=f"${kind}_ship_to_self_share")),
                 H("ship_cdemo", fn("uniform_key", table="customer_demographics")),
                 H("ship_hdemo", fn("uniform_key", table="household_demographics")),
                 H("ship_addr", fn("uniform_key", table="customer_address")),
                 H("site", fn("uniform_key", table="call_center" if kind == "catalog" else "web_site", scd=True))]
    vol = {"kind": "custom", "runtime": f"{L}:SalesCalendar", "args": {"table": channel, "first_day": "$sales_first_day", "days": "$sales_days"}}
    return {"name": name, "key": "number", "volume": vol, "columns": cols}


HEADER_COLS = {"store": ["anchor", "time", "customer", "cdemo", "hdemo", "addr", "store"],
               "catalog": ["anchor", "time", "customer", "cdemo", "hdemo", "addr", "ship_customer", "ship_cdemo", "ship_hdemo", "ship_addr", "site"]}
HEADER_COLS["web"] = HEADER_COLS["catalog"]


def last(cols: list[dict]) -> list[dict]:
    """The visible columns among `cols`, to close a table in TPC-DS's column order (money after the keys)."""
    return [c for c in cols if not c["hidden"]]


def first(cols: list[dict]) -> list[dict]:
    return [c for c in cols if c["hidden"]]


def sale_lines(p: str, kind: str, markup: int, ship: tuple[int, int] | None) -> list[dict]:
    """Header columns, item and promotion, and dsdgen's pricing of a line (p = ss/cs/ws), in cents:
    wholesale_cost uniform $1-100, list_price = wholesale x (1 + markup), sales_price = list x (1 - discount);
    ext_x = quantity x x; a coupon on 20% of lines; net_paid = ext_sales_price - coupon_amt; ext_tax =
    net_paid x tax (0-9%); net_profit = net_paid - ext_wholesale_cost; ship cost = list x 0-50% x quantity."""
    q = f"{p}_quantity"
    cols = [
        H(f"{p}__h", fn("parent_cols", cols=HEADER_COLS[kind])),
        *[H(f"{p}__{c}", fn("pick", src=f"{p}__h", name=c)) for c in HEADER_COLS[kind]],
        H(f"{p}__item", fn("basket_item", anchor=f"{p}__anchor")),
        H(f"{p}__markup", uni(0, markup)), H(f"{p}__discount", uni(0, 100)),
        H(f"{p}__coupon", derive(f"where({p}__coupon_use <= 20, {p}__coupon_pct, 0)")),
        H(f"{p}__coupon_use", uni(1, 100)), H(f"{p}__coupon_pct", uni(0, 100)),
        H(f"{p}__tax", uni(0, 9)),
        C(q, I64, uni(1, 100)),
        C(f"{p}_wholesale_cost", M72, uni(100, 10_000)),
        C(f"{p}_list_price", M72, derive(f"round({p}_wholesale_cost * (100 + {p}__markup) / 100)")),
        C(f"{p}_sales_price", M72, derive(f"round({p}_list_price * (100 - {p}__discount) / 100)")),
        C(f"{p}_ext_discount_amt", M72, derive(f"({p}_list_price - {p}_sales_price) * {q}")),
        C(f"{p}_ext_sales_price", M72, derive(f"{p}_sales_price * {q}")),
        C(f"{p}_ext_wholesale_cost", M72, derive(f"{p}_wholesale_cost * {q}")),
        C(f"{p}_ext_list_price", M72, derive(f"{p}_list_price * {q}")),
        C(f"{p}_ext_tax", M72, derive(f"round({p}_net_paid * {p}__tax / 100)")),
        C(f"{p}_coupon_amt", M72, derive(f"round({p}_ext_sales_price * {p}__coupon / 100)")),
    ]
    if ship:
        cols += [H(f"{p}__ship_lag", uni(*ship)), H(f"{p}__ship_pct", uni(0, 50)),
                 C(f"{p}_ext_ship_cost", M72, derive(f"round({p}_list_price * {p}__ship_pct / 100) * {q}"))]
    cols += [C(f"{p}_net_paid", M72, derive(f"{p}_ext_sales_price - {p}_coupon_amt")),
             C(f"{p}_net_paid_inc_tax", M72, derive(f"{p}_net_paid + {p}_ext_tax"))]
    if ship:
        cols += [C(f"{p}_net_paid_inc_ship", M72, derive(f"{p}_net_paid + {p}_ext_ship_cost")),
                 C(f"{p}_net_paid_inc_ship_tax", M72, derive(f"{p}_net_paid_inc_ship + {p}_ext_tax"))]
    cols.append(C(f"{p}_net_profit", M72, derive(f"{p}_net_paid - {p}_ext_wholesale_cost")))
    return cols


def lines_volume(head: dict, block: int, total: int, lo: int, hi: int) -> dict:
    return {"kind": "custom", "runtime": f"{L}:Lines", "parent": head["name"],
            "args": {"header": head, "lines": {"block": block, "total": total, "min": lo, "max": hi}}}


def returns_volume(sales: str, channel: str) -> dict:
    return {"kind": "custom", "runtime": f"{L}:Returns",
            "args": {"sales": sales, "rate": f"${channel}_return_rate", "min_lag": f"${channel}_return_min_lag",
                     "max_lag": f"${channel}_return_max_lag"}}


def return_cols(p: str, sales: str, sold_cols: list[str], time: dict) -> list[dict]:
    """Common return columns: the sale line recomputed at its row index, the return's time and reason."""
    return [
        H(f"{p}__row", fn("loc", field="sale")),
        H(f"{p}__s", fn("lookup", table=sales, rows=f"{p}__row", cols=sold_cols)),
        *[H(f"{p}__{c}", fn("pick", src=f"{p}__s", name=c)) for c in sold_cols],
        H(f"{p}__refund_split", fn("refund_split", total=f"{p}_return_amt_inc_tax")),
        H(f"{p}__ship_pct", uni(0, 50)),
        H(f"{p}__time", time),
    ]


def customer_now(p: str, customer: str) -> list[dict]:
    """<p>_cdemo_sk, _hdemo_sk, _addr_sk: the customer's current ones (a return records who returns it now)."""
    cols = ["c_current_cdemo_sk", "c_current_hdemo_sk", "c_current_addr_sk"]
    return [H(f"{p}__c", fn("lookup", table="customer", via=customer, cols=cols)),
            *[C(f"{p}_{c.split('_')[2]}_sk", I64, fn("pick", src=f"{p}__c", name=c)) for c in cols]]


def return_money(p: str, s: str, amt: str, credit: str) -> list[dict]:
    """return_amt = qty x sales_price; tax at the line's rate; cash + charge + credit = amt_inc_tax;
    return_ship_cost = qty x list_price x 0-50%; net_loss = fee + return_ship_cost + return_tax."""
    q = f"{p}_return_quantity"
    return [
        C(q, I64, fn("return_quantity", sold=f"{p}__{s}_quantity")),
        C(f"{p}_{amt}", M72, derive(f"{q} * {p}__{s}_sales_price")),
        C(f"{p}_return_tax", M72, derive(f"round({p}_{amt} * {p}__{s}__tax / 100)")),
        C(f"{p}_return_amt_inc_tax", M72, derive(f"{p}_{amt} + {p}_return_tax")),
        C(f"{p}_fee", M72, uni(50, 10000)),
        C(f"{p}_return_ship_cost", M72, derive(f"round({q} * {p}__{s}_list_price * {p}__ship_pct / 100)")),
        C(f"{p}_refunded_cash", M72, fn("pick", src=f"{p}__refund_split", name="a")),
        C(f"{p}_reversed_charge", M72, fn("pick", src=f"{p}__refund_split", name="b")),
        C(f"{p}_{credit}", M72, fn("pick", src=f"{p}__refund_split", name="c")),
        C(f"{p}_net_loss", M72, derive(f"{p}_fee + {p}_return_ship_cost + {p}_return_tax")),
    ]


STORE_HEADER = header("store_ticket", "store", "store_sales", hours=2)
CATALOG_HEADER = header("catalog_order", "catalog", "catalog_sales", hours=3)
WEB_HEADER = header("web_order", "web", "web_sales", hours=3)

LINES_SS = sale_lines("ss", "store", markup=100, ship=None)
LINES_CS = sale_lines("cs", "catalog", markup=200, ship=(2, 90))
LINES_WS = sale_lines("ws", "web", markup=200, ship=(1, 120))

SS_SOLD = ["ss_item_sk", "ss_customer_sk", "ss_store_sk", "ss_ticket_number",
           "ss_quantity", "ss_sales_price", "ss_list_price", "ss__tax"]
CS_SOLD = ["cs_item_sk", "cs_bill_customer_sk", "cs_bill_cdemo_sk", "cs_bill_hdemo_sk", "cs_bill_addr_sk", "cs_ship_customer_sk",
           "cs_ship_cdemo_sk", "cs_ship_hdemo_sk", "cs_ship_addr_sk", "cs_call_center_sk", "cs_catalog_page_sk", "cs_ship_mode_sk",
           "cs_warehouse_sk", "cs_order_number", "cs_quantity", "cs_sales_price", "cs_list_price", "cs__tax"]
WS_SOLD = ["ws_item_sk", "ws_bill_customer_sk", "ws_bill_cdemo_sk", "ws_bill_hdemo_sk", "ws_bill_addr_sk", "ws_ship_customer_sk",
           "ws_ship_cdemo_sk", "ws_ship_hdemo_sk", "ws_ship_addr_sk", "ws_web_page_sk", "ws_order_number", "ws_quantity",
           "ws_sales_price", "ws_list_price", "ws__tax"]


def _identities(p: str, ship: bool) -> str:
    rules = [f"{p}_ext_sales_price = {p}_sales_price * {p}_quantity", f"{p}_ext_list_price = {p}_list_price * {p}_quantity",
             f"{p}_ext_wholesale_cost = {p}_wholesale_cost * {p}_quantity",
             f"{p}_ext_discount_amt = ({p}_list_price - {p}_sales_price) * {p}_quantity",
             f"{p}_net_paid = {p}_ext_sales_price - {p}_coupon_amt", f"{p}_net_paid_inc_tax = {p}_net_paid + {p}_ext_tax",
             f"{p}_net_profit = {p}_net_paid - {p}_ext_wholesale_cost", f"{p}_sales_price <= {p}_list_price"]
    if ship:
        rules += [f"{p}_net_paid_inc_ship = {p}_net_paid + {p}_ext_ship_cost",
                  f"{p}_net_paid_inc_ship_tax = {p}_net_paid_inc_ship + {p}_ext_tax", f"{p}_ship_date_sk > {p}_sold_date_sk"]
    return " AND ".join(f"coalesce({r}, true)" for r in rules)


def _return_rules(p: str, amt: str, credit: str) -> str:
    rules = [f"{p}_return_amt_inc_tax = {p}_{amt} + {p}_return_tax",
             f"{p}_refunded_cash + {p}_reversed_charge + {p}_{credit} = {p}_return_amt_inc_tax", f"{p}_return_quantity >= 1",
             f"{p}_net_loss = {p}_fee + {p}_return_ship_cost + {p}_return_tax"]
    return " AND ".join(f"coalesce({r}, true)" for r in rules)


DISTRIBUTIONS = [
    {"name": "store_december_peak", "table": "store_sales", "check": "month_peak", "args": {"column": "ss_sold_date_sk", "peak_month": 12},
     "doc": "December has the most store sale lines per day (the TPC-DS calendar's sales weights)"},
    {"name": "web_december_peak", "table": "web_sales", "check": "month_peak", "args": {"column": "ws_sold_date_sk", "peak_month": 12},
     "doc": "December has the most web sale lines per day"},
    {"name": "quantity_uniform", "table": "store_sales", "check": "mean_between", "args": {"column": "ss_quantity", "min": 49.5, "max": 51.5},
     "doc": "quantities are uniform on 1..100 as in TPC-DS (mean 50.5)"},
    {"name": "store_return_rate", "table": "store_returns", "check": "return_rate",
     "args": {"sales": "store_sales", "sold_date": "ss_sold_date_sk", "keys": ["sr_ticket_number", "sr_item_sk"],
              "sale_keys": ["ss_ticket_number", "ss_item_sk"], "rate": 0.10, "max_lag_days": 180},
     "doc": "10% of store sale lines are returned within 4-180 days"},
    {"name": "catalog_return_rate", "table": "catalog_returns", "check": "return_rate",
     "args": {"sales": "catalog_sales", "sold_date": "cs_sold_date_sk", "keys": ["cr_order_number", "cr_item_sk"],
              "sale_keys": ["cs_order_number", "cs_item_sk"], "rate": 0.10, "max_lag_days": 270},
     "doc": "10% of catalog sale lines are returned, after shipping, within 270 days"},
    {"name": "web_return_rate", "table": "web_returns", "check": "return_rate",
     "args": {"sales": "web_sales", "sold_date": "ws_sold_date_sk", "keys": ["wr_order_number", "wr_item_sk"],
              "sale_keys": ["ws_order_number", "ws_item_sk"], "rate": 0.10, "max_lag_days": 360},
     "doc": "10% of web sale lines are returned, after shipping, within 360 days"},
    # integrity rules (blocking): money identities and returns that reference their sale line (where not NULL)
    {"name": "store_money", "table": "store_sales", "check": "row_condition", "args": {"condition": _identities("ss", False)},
     "doc": "TPC-DS money identities of store sales"},
    {"name": "catalog_money", "table": "catalog_sales", "check": "row_condition", "args": {"condition": _identities("cs", True)},
     "doc": "TPC-DS money identities of catalog sales; ship after sale"},
    {"name": "web_money", "table": "web_sales", "check": "row_condition", "args": {"condition": _identities("ws", True)},
     "doc": "TPC-DS money identities of web sales; ship after sale"},
    {"name": "store_return_money", "table": "store_returns", "check": "row_condition", "args": {"condition": _return_rules("sr", "return_amt", "store_credit")},
     "doc": "refund = cash + reversed charge + store credit"},
    {"name": "catalog_return_money", "table": "catalog_returns", "check": "row_condition", "args": {"condition": _return_rules("cr", "return_amount", "store_credit")},
     "doc": "refund = cash + reversed charge + store credit"},
    {"name": "web_return_money", "table": "web_returns", "check": "row_condition", "args": {"condition": _return_rules("wr", "return_amt", "account_credit")},
     "doc": "refund = cash + reversed charge + account credit"},
    {"name": "store_return_line", "table": "store_returns", "check": "composite_ref",
     "args": {"columns": ["sr_ticket_number", "sr_item_sk"], "table": "store_sales", "target": ["ss_ticket_number", "ss_item_sk"]},
     "doc": "each store return is a line of an existing ticket"},
    {"name": "catalog_return_line", "table": "catalog_returns", "check": "composite_ref",
     "args": {"columns": ["cr_order_number", "cr_item_sk"], "table": "catalog_sales", "target": ["cs_order_number", "cs_item_sk"]},
     "doc": "each catalog return is a line of an existing order"},
    {"name": "web_return_line", "table": "web_returns", "check": "composite_ref",
     "args": {"columns": ["wr_order_number", "wr_item_sk"], "table": "web_sales", "target": ["ws_order_number", "ws_item_sk"]},
     "doc": "each web return is a line of an existing order"},
]


def _words(name: str) -> list:
    return [[v, float(w)] for v, w in zip(dists.values(name), dists.weights(name)) if w > 0]


def _catalog_period(part: str) -> dict:
    """cp_start/end_date_sk: catalog n of year (n-1) // 18: 2 bi-annual, 4 quarterly, then 12 monthly catalogs."""
    return fn("catalog_period", part=part, of="cp_catalog_number")


MODEL = Model.model_validate({
    "name": "ecommerce-ds",
    "aliases": ["ecom-ds", "e-commerce-ds", "eds", "tpcds", "tpc-ds"],
    "schema_version": 2,
    "doc": "TPC-DS: 17 dimensions and 7 facts (store/catalog/web sales and returns, inventory) at a TPC-DS scale factor.",
    "sizing_table": "store_sales",
    "scale_factor": True,
    "origin": dt.date(1998, 1, 1),
    "days": WINDOW_DAYS,
    # facts in month=YYYY-MM folders: a warehouse loads a month of a fact per file set (72 partitions over
    # TPC-DS's window instead of 2,191 days of small files); queries read a table folder as TPC-DS's table
    "partition_by": "month",
    "params": {
        "sales_first_day": 1,              # sales from the day after the origin (1998-01-02) ...
        "sales_days": SALES_DAYS,          # ... for dsdgen's 1,827 days
        "inventory_weeks": 261,            # Thursdays 1998-01-01 .. 2002-12-26
        "catalog_ship_to_self_share": 0.9,  # dsdgen: 10% of catalog orders are gifts
        "web_ship_to_self_share": 0.08,    # dsdgen: web orders mostly ship to another customer
        "repeat_share": 0.5,               # tickets/orders whose items are near the customer's usual ones
        # returned share of sale lines: dsdgen's 10% as it comes out (SF 1: 9.99%, 9.99%, 9.95%; SF 0.05: 9.92%, 9.89%, 9.91%)
        "store_return_rate": 0.0998, "catalog_return_rate": 0.0993, "web_return_rate": 0.0993,
        "store_return_min_lag": 4, "store_return_max_lag": 180,      # days after the sale
        "catalog_return_min_lag": 94, "catalog_return_max_lag": 270,  # after the ship date (2-90 days)
        "web_return_min_lag": 122, "web_return_max_lag": 360,        # after the ship date (1-120 days)
    },
    # ranges of the parameters that are not plain counts (those range over 0..1e9)
    "param_ranges": {**{p: (0.0, 1.0) for p in ("catalog_ship_to_self_share", "web_ship_to_self_share", "repeat_share",
                                                "store_return_rate", "catalog_return_rate", "web_return_rate")},
                     **{f"{c}_return_{e}_lag": (0.0, 3650.0) for c in ("store", "catalog", "web") for e in ("min", "max")},
                     "sales_first_day": (0.0, 36600.0), "sales_days": (1.0, 36600.0), "inventory_weeks": (1.0, 5220.0)},
    "vocab": {w: _words(w) for w in ["adjectives", "nouns", "verbs", "adverbs"]},
    "tables": [
        # ------------------------------------------------------------ fixed calendar dimensions
        {"name": "date_dim", "partitioned": False, "key": "d_date_sk", "volume": rows("date"),
         "doc": "1900-01-02 .. 2100-01-01; d_date_sk = Julian day number",
         "columns": [C("d_date_sk", I64, fn("date_part", part="sk")), bkey("d_date_id", "d_date_sk"),
                     C("d_date", DATE, fn("date_part", part="date"))]
         + [C(f"d_{p}", I64, fn("date_part", part=p)) for p in ["month_seq", "week_seq", "quarter_seq", "year", "dow", "moy", "dom", "qoy"]]
         + [C("d_fy_year", I64, derive("d_year")), C("d_fy_quarter_seq", I64, derive("d_quarter_seq")),
            C("d_fy_week_seq", I64, derive("d_week_seq"))]
         + [C(f"d_{p}", STR, fn("date_part", part=p)) for p in ["day_name", "quarter_name", "holiday", "weekend", "following_holiday"]]
         + [C(f"d_{p}", I64, fn("date_part", part=p)) for p in ["first_dom", "last_dom", "same_day_ly", "same_day_lq"]]
         + [C(f"d_current_{p}", STR, fn("date_part", part=f"current_{p}")) for p in ["day", "week", "month", "quarter", "year"]]},
        {"name": "time_dim", "partitioned": False, "key": "t_time_sk", "volume": rows("time"),
         "columns": [C("t_time_sk", I64, derive("key - 1")), H("key", {"kind": "key"}), bkey("t_time_id", "key"),
                     C("t_time", I64, derive("t_time_sk")), C("t_hour", I64, derive("t_time_sk // 3600")),
                     C("t_minute", I64, derive("t_time_sk // 60 % 60")), C("t_second", I64, derive("t_time_sk % 60"))]
         + [C(f"t_{p}", STR, fn("time_part", field=p)) for p in ["am_pm", "shift", "sub_shift", "meal_time"]]},
        # ------------------------------------------------------------ demographics
        {"name": "income_band", "partitioned": False, "key": "ib_income_band_sk", "volume": rows("income_band"),
         "columns": [key("ib_income_band_sk"), C("ib_lower_bound", I64, derive("where(ib_income_band_sk == 1, 0, (ib_income_band_sk - 1) * 10000 + 1)")),
                     C("ib_upper_bound", I32, derive("ib_income_band_sk * 10000"))]},
        {"name": "household_demographics", "partitioned": False, "key": "hd_demo_sk", "volume": rows("household_demographics"),
         "doc": "all 7,200 combinations of income band x buy potential x dependants x vehicles",
         "columns": [key("hd_demo_sk"), H("x", derive("hd_demo_sk - 1")),
                     C("hd_income_band_sk", I64, fn("radix", of="x", div=1, base=20, add=1)),
                     C("hd_buy_potential", STR, fn("radix", of="x", div=20, base=6, values=dists.values("buy_potential"))),
                     C("hd_dep_count", I64, fn("radix", of="x", div=120, base=10)),
                     C("hd_vehicle_count", I32, fn("radix", of="x", div=1200, base=6, add=-1))]},
        {"name": "customer_demographics", "partitioned": False, "key": "cd_demo_sk", "volume": rows("customer_demographics"),
         "doc": "the cross product of the 8 attributes in dsdgen's order (1,920,800 rows; below SF 1 its first rows)",
         "columns": [key("cd_demo_sk"), H("x", derive("cd_demo_sk - 1")),
                     C("cd_gender", STR, fn("radix", of="x", div=1, base=2, values=dists.values("gender"))),
                     C("cd_marital_status", STR, fn("radix", of="x", div=2, base=5, values=dists.values("marital_status"))),
                     C("cd_education_status", STR, fn("radix", of="x", div=10, base=7, values=dists.values("education"))),
                     C("cd_purchase_estimate", I64, fn("radix", of="x", div=70, base=20, mult=500, add=500)),
                     C("cd_credit_rating", STR, fn("radix", of="x", div=1400, base=4, values=dists.values("credit_rating"))),
                     C("cd_dep_count", I64, fn("radix", of="x", div=5600, base=7)),
                     C("cd_dep_employed_count", I64, fn("radix", of="x", div=39200, base=7)),
                     C("cd_dep_college_count", I32, fn("radix", of="x", div=274400, base=7))]},
        # ------------------------------------------------------------ customers
        {"name": "customer_address", "partitioned": False, "key": "ca_address_sk", "volume": rows("customer_address"),
         "null_rows": 0.06, "not_null": ["ca_address_id"],
         "columns": [key("ca_address_sk"), bkey("ca_address_id", "ca_address_sk"), *address("ca"),
                     C("ca_location_type", STR, dchoice("location_type", 0, 2))]},
        {"name": "customer", "partitioned": False, "key": "c_customer_sk", "volume": rows("customer"),
         "null_rows": 0.07, "not_null": ["c_customer_id", "c_current_addr_sk"],
         "columns": [
             key("c_customer_sk"), bkey("c_customer_id", "c_customer_sk"),
             C("c_current_cdemo_sk", I64, fn("uniform_key", table="customer_demographics")),
             C("c_current_hdemo_sk", I64, fn("uniform_key", table="household_demographics")),
             C("c_current_addr_sk", I64, fn("uniform_key", table="customer_address")),
             C("c_first_shipto_date_sk", I64, derive("c_first_sales_date_sk + c__ship_lag")), H("c__ship_lag", uni(0, 30)),
             C("c_first_sales_date_sk", I64, fn("origin_sk", low=-1817, high=1833)),
             C("c_salutation", STR, dchoice("salutations")),
             C("c_first_name", STR, {"kind": "vocab", "name": "first_names"}),
             C("c_last_name", STR, {"kind": "vocab", "name": "last_names"}),
             C("c_preferred_cust_flag", STR, choice(["Y", "N"])),
             H("c__birth", {"kind": "uniform_int", "low": -16_801, "high": 8_400}),
             C("c_birth_day", I64, fn("date_part_of", of="c__birth", part="dom")),
             C("c_birth_month", I64, fn("date_part_of", of="c__birth", part="moy")),
             C("c_birth_year", I64, fn("date_part_of", of="c__birth", part="year")),
             C("c_birth_country", STR, dchoice("countries")),
             C("c_login", STR, const("")),
             H("c__host", fn("bkey", of="c__host_no")), H("c__host_no", uni(1, 2_000_000_000)),
             H("c__domain", dchoice("top_domains"), STR),
             C("c_email_address", STR, {"kind": "template", "format": "{c_first_name}.{c_last_name}@{c__host}.{c__domain}", "strip_spaces": True}),
             C("c_last_review_date_sk", I32, fn("origin_sk", low=1468, high=1833)),
         ]},
        # ------------------------------------------------------------ products and promotions
        {"name": "item", "partitioned": False, "key": "i_item_sk", "volume": rows("item", type2=True),
         "null_rows": 0.005, "not_null": ["i_item_id", "i_rec_end_date"],
         "doc": "1-3 versions per business key (i_item_id), each valid over part of the window",
         "columns": [
             *scd_cols("item", "i", "i_item_sk", "i_item_id"),
             *text("i_item_desc"),
             C("i_current_price", M72, fn("banded_int", dist="i_current_price", cents=True)),
             H("i__markdown", uni(30, 90)),
             C("i_wholesale_cost", M72, derive("round(i_current_price * i__markdown / 100)")),
             C("i_brand_id", I64, derive("i_category_id * 1000000 + i_class_id * 1000 + i__brand_no")),
             H("i__brand_no", fn("brand_no", by="i_category_id", of="i_class_id", index="i_item_sk")),
             H("i__brand_seed", derive("i_category_id * 10 + i_class_id")),
             C("i_brand", STR, fn("word", of="i__brand_seed", syllables="brand_syllables", suffix="i__brand_no")),
             C("i_class_id", I64, fn("class_no", by="i_category_id")),
             C("i_class", STR, fn("class_name", by="i_category_id", of="i_class_id")),
             C("i_category_id", I64, uni(1, 10)),
             C("i_category", STR, fn("category_name", of="i_category_id")),
             C("i_manufact_id", I64, fn("banded_int", dist="i_manufact_id")),
             C("i_manufact", STR, fn("word", of="i_manufact_id")),
             C("i_size", STR, fn("size_by_category", by="i_category_id")),
             C("i_formulation", STR, fn("formulation")),
             C("i_color", STR, dchoice("colors", 0, 2)),
             C("i_units", STR, dchoice("units")),
             C("i_container", STR, dchoice("container")),
             C("i_manager_id", I64, fn("banded_int", dist="i_manager_id")),
             C("i_product_name", STR, fn("word", of="i_item_sk")),
         ]},
        {"name": "promotion", "partitioned": False, "key": "p_promo_sk", "volume": rows("promotion"),
         "null_rows": 0.04, "not_null": ["p_promo_id"],
         "columns": [
             key("p_promo_sk"), bkey("p_promo_id", "p_promo_sk"),
             C("p_start_date_sk", I64, fn("origin_sk", low=-715, high=98)),
             C("p_end_date_sk", I64, derive("p_start_date_sk + p__len")), H("p__len", uni(1, 60)),
             C("p_item_sk", I64, fn("uniform_key", table="item")),
             C("p_cost", M152, const(100_000)),
             C("p_response_target", I64, const(1)),
             C("p_promo_name", STR, dchoice("syllables")),
             C("p_channel_dmail", STR, choice(["Y", "N"])),
             *[C(f"p_channel_{c}", STR, const("N")) for c in ["email", "catalog", "tv", "radio", "press", "event", "demo"]],
             *text("p_channel_details"),
             C("p_purpose", STR, dchoice("promo_purpose")),
             C("p_discount_active", STR, const("N")),
         ]},
        # ------------------------------------------------------------ channels
        {"name": "store", "partitioned": False, "key": "s_store_sk", "volume": rows("store", type2=True),
         "null_rows": 0.01, "not_null": ["s_store_id", "s_rec_end_date"],
         "columns": [
             *scd_cols("store", "s", "s_store_sk", "s_store_id"),
             C("s_closed_date_sk", I64, fn("closed_date", share=0.25, low=95, high=374)),
             C("s_store_name", STR, dchoice("syllables")),
             C("s_number_employees", I64, uni(200, 300)), C("s_floor_space", I64, uni(5_000_000, 10_000_000)),
             C("s_hours", STR, dchoice("call_center_hours")),
             *person("s_manager"),
             C("s_market_id", I64, uni(1, 10)), C("s_geography_class", STR, dchoice("geography_class")),
             *text("s_market_desc"),
             *person("s_market_manager"),
             C("s_division_id", I64, const(1)), C("s_division_name", STR, dchoice("divisions")),
             C("s_company_id", I64, const(1)), C("s_company_name", STR, dchoice("stores")),
             *address("s", small="store"),
             C("s_tax_percentage", M52, uni(0, 11)),
         ]},
        {"name": "call_center", "partitioned": False, "key": "cc_call_center_sk", "volume": rows("call_center", type2=True),
         "null_rows": 0.01, "not_null": ["cc_call_center_id", "cc_rec_end_date"],
         "columns": [
             *scd_cols("call_center", "cc", "cc_call_center_sk", "cc_call_center_id"),
             C("cc_closed_date_sk", I64, fn("null_int")), C("cc_open_date_sk", I64, fn("origin_sk", low=137, high=321)),
             C("cc_name", STR, dchoice("call_centers", 0, 2)),
             C("cc_class", STR, dchoice("call_center_class")),
             C("cc_employees", I64, uni(1, 7)), C("cc_sq_ft", I64, uni(100, 5_000)),
             C("cc_hours", STR, dchoice("call_center_hours")), *person("cc_manager"),
             C("cc_mkt_id", I64, uni(1, 6)), *text("cc_mkt_class"), *text("cc_mkt_desc"),
             *person("cc_market_manager"),
             C("cc_division", I64, uni(1, 6)), C("cc_division_name", STR, fn("word", of="cc_division")),
             C("cc_company", I64, uni(1, 6)), C("cc_company_name", STR, fn("word", of="cc_company")),
             *address("cc", small="call_center"), C("cc_tax_percentage", M52, uni(0, 12)),
         ]},
        {"name": "catalog_page", "partitioned": False, "key": "cp_catalog_page_sk", "volume": rows("catalog_page"),
         "null_rows": 0.02, "not_null": ["cp_catalog_page_id"],
         "doc": "catalogs of 108 pages, 18 a year: 2 bi-annual, 4 quarterly and 12 monthly, each valid over its period",
         "columns": [
             key("cp_catalog_page_sk"), bkey("cp_catalog_page_id", "cp_catalog_page_sk"),
             C("cp_start_date_sk", I64, _catalog_period("start")), C("cp_end_date_sk", I64, _catalog_period("end")),
             C("cp_department", STR, const("DEPARTMENT")),
             C("cp_catalog_number", I64, derive("(cp_catalog_page_sk - 1) // 108 + 1")),
             C("cp_catalog_page_number", I64, derive("(cp_catalog_page_sk - 1) % 108 + 1")),
             *text("cp_description"),
             C("cp_type", STR, _catalog_period("type")),
         ]},
        {"name": "web_site", "partitioned": False, "key": "web_site_sk", "volume": rows("web_site", type2=True),
         "null_rows": 0.01, "not_null": ["web_site_id", "web_rec_end_date"],
         "columns": [
             *scd_cols("web_site", "web", "web_site_sk", "web_site_id"),
             H("n", derive("web__key // 3")), C("web_name", STR, tmpl("site_{n}")),
             C("web_open_date_sk", I64, fn("origin_sk", low=-238, high=-8)),
             C("web_close_date_sk", I64, fn("closed_date", share=0.85, low=-3871, high=-1859)),
             C("web_class", STR, const("Unknown")), *person("web_manager"),
             C("web_mkt_id", I64, uni(1, 6)), *text("web_mkt_class"), *text("web_mkt_desc"),
             *person("web_market_manager"),
             C("web_company_id", I64, uni(1, 6)), C("web_company_name", STR, fn("word", of="web_company_id")),
             *address("web", small="web_site"), C("web_tax_percentage", M52, uni(0, 12)),
         ]},
        {"name": "web_page", "partitioned": False, "key": "wp_web_page_sk", "volume": rows("web_page", type2=True),
         "null_rows": 0.025, "not_null": ["wp_web_page_id", "wp_rec_end_date"],
         "columns": [
             *scd_cols("web_page", "wp", "wp_web_page_sk", "wp_web_page_id"),
             C("wp_creation_date_sk", I64, fn("origin_sk", low=-8, high=0)),
             C("wp_access_date_sk", I64, fn("origin_sk", low=1734, high=1833)),
             C("wp_autogen_flag", STR, choice([["Y", 30], ["N", 70]])),
             C("wp_customer_sk", I64, fn("autogen_customer", flag="wp_autogen_flag")),
             C("wp_url", STR, const("http://www.foo.com")),
             C("wp_type", STR, dchoice("web_page_use")),
             C("wp_char_count", I64, uni(700, 7050)), C("wp_link_count", I64, uni(2, 25)), C("wp_image_count", I64, uni(1, 7)),
             C("wp_max_ad_count", I32, uni(0, 4)),
         ]},
        {"name": "warehouse", "partitioned": False, "key": "w_warehouse_sk", "volume": rows("warehouse"),
         "null_rows": 0.02, "not_null": ["w_warehouse_id"],
         "columns": [
             key("w_warehouse_sk"), bkey("w_warehouse_id", "w_warehouse_sk"),
             H("w__adj", {"kind": "vocab", "name": "adjectives"}, STR), H("w__noun", {"kind": "vocab", "name": "nouns"}, STR),
             C("w_warehouse_name", STR, tmpl("{w__adj} {w__noun}")),
             C("w_warehouse_sq_ft", I64, uni(50_000, 1_000_000)), *address("w", small="warehouse"),
         ]},
        {"name": "reason", "partitioned": False, "key": "r_reason_sk", "volume": rows("reason"),
         "columns": [key("r_reason_sk"), bkey("r_reason_id", "r_reason_sk"),
                     C("r_reason_desc", STR, {"kind": "cycle", "values": dists.values("return_reasons")})]},
        {"name": "ship_mode", "partitioned": False, "key": "sm_ship_mode_sk", "volume": rows("ship_mode"),
         "columns": [
             key("sm_ship_mode_sk"), bkey("sm_ship_mode_id", "sm_ship_mode_sk"), H("x", derive("sm_ship_mode_sk - 1")),
             C("sm_type", STR, fn("radix", of="x", div=1, base=6, values=dists.values("ship_mode_type"))),
             C("sm_code", STR, fn("radix", of="x", div=6, base=4, values=dists.values("ship_mode_code"))),
             C("sm_carrier", STR, {"kind": "cycle", "values": dists.values("ship_mode_carrier")}),
             C("sm_contract", STR, fn("bkey", of="sm__c")), H("sm__c", uni(1, 2_000_000_000)),
         ]},
        # ------------------------------------------------------------ facts
        {"name": "store_sales", "key": None, "volume": lines_volume(STORE_HEADER, 4, 48, 8, 16),
         "null_rows": 0.09, "not_null": ["ss_item_sk", "ss_ticket_number"],
         "doc": "tickets of 8-16 lines (mean 12), items distinct within a ticket",
         "columns": [
             *first(LINES_SS),
             C("ss_sold_date_sk", I64, fn("date_sk")),
             C("ss_sold_time_sk", I64, derive("ss__time")),
             C("ss_item_sk", I64, derive("ss__item")),
             C("ss_customer_sk", I64, derive("ss__customer")),
             C("ss_cdemo_sk", I64, derive("ss__cdemo")), C("ss_hdemo_sk", I64, derive("ss__hdemo")), C("ss_addr_sk", I64, derive("ss__addr")),
             C("ss_store_sk", I64, derive("ss__store")),
             C("ss_promo_sk", I64, fn("uniform_key", table="promotion")),
             C("ss_ticket_number", I64, {"kind": "parent_key"}),
             *last(LINES_SS),
         ]},
        {"name": "store_returns", "volume": returns_volume("store_sales", "store"),
         "null_rows": 0.07, "not_null": ["sr_item_sk", "sr_ticket_number"],
         "columns": [
             *return_cols("sr", "store_sales", SS_SOLD, uni(8 * 3600 - 1, 17 * 3600 - 1)),
             C("sr_returned_date_sk", I64, fn("date_sk")), C("sr_return_time_sk", I64, derive("sr__time")),
             C("sr_item_sk", I64, derive("sr__ss_item_sk")), C("sr_customer_sk", I64, derive("sr__ss_customer_sk")),
             *customer_now("sr", "sr_customer_sk"), C("sr_store_sk", I64, derive("sr__ss_store_sk")),
             C("sr_reason_sk", I64, fn("uniform_key", table="reason")),
             C("sr_ticket_number", I64, derive("sr__ss_ticket_number")),
             *return_money("sr", "ss", "return_amt", "store_credit"),
         ]},
        {"name": "catalog_sales", "volume": lines_volume(CATALOG_HEADER, 4, 36, 4, 14),
         "null_rows": 0.01, "not_null": ["cs_item_sk", "cs_order_number"],
         "doc": "orders of 4-14 lines (mean 9); each line ships 2-90 days after the sale",
         "columns": [
             *first(LINES_CS),
             C("cs_sold_date_sk", I64, fn("date_sk")), C("cs_sold_time_sk", I64, derive("cs__time")),
             C("cs_ship_date_sk", I64, fn("date_sk", offset_days="cs__ship_lag")),
             C("cs_bill_customer_sk", I64, derive("cs__customer")), C("cs_bill_cdemo_sk", I64, derive("cs__cdemo")),
             C("cs_bill_hdemo_sk", I64, derive("cs__hdemo")), C("cs_bill_addr_sk", I64, derive("cs__addr")),
             C("cs_ship_customer_sk", I64, derive("cs__ship_customer")), C("cs_ship_cdemo_sk", I64, derive("cs__ship_cdemo")),
             C("cs_ship_hdemo_sk", I64, derive("cs__ship_hdemo")), C("cs_ship_addr_sk", I64, derive("cs__ship_addr")),
             C("cs_call_center_sk", I64, derive("cs__site")),
             C("cs_catalog_page_sk", I64, fn("catalog_page_of_sale")),
             C("cs_ship_mode_sk", I64, fn("uniform_key", table="ship_mode")),
             C("cs_warehouse_sk", I64, fn("uniform_key", table="warehouse")),
             C("cs_item_sk", I64, derive("cs__item")), C("cs_promo_sk", I64, fn("uniform_key", table="promotion")),
             C("cs_order_number", I64, {"kind": "parent_key"}),
             *last(LINES_CS),
         ]},
        {"name": "catalog_returns", "volume": returns_volume("catalog_sales", "catalog"),
         "null_rows": 0.04, "not_null": ["cr_returned_date_sk", "cr_returned_time_sk", "cr_item_sk", "cr_order_number"],
         "columns": [
             *return_cols("cr", "catalog_sales", CS_SOLD, fn("time_of_day", weight=3)),
             C("cr_returned_date_sk", I64, fn("date_sk")), C("cr_returned_time_sk", I64, derive("cr__time")),
             C("cr_item_sk", I64, derive("cr__cs_item_sk")),
             *[C(f"cr_refunded_{x}", I64, derive(f"cr__cs_bill_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             *[C(f"cr_returning_{x}", I64, derive(f"cr__cs_ship_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             *[C(f"cr_{x}", I64, derive(f"cr__cs_{x}")) for x in ["call_center_sk", "catalog_page_sk", "ship_mode_sk", "warehouse_sk"]],
             C("cr_reason_sk", I64, fn("uniform_key", table="reason")),
             C("cr_order_number", I64, derive("cr__cs_order_number")),
             *return_money("cr", "cs", "return_amount", "store_credit"),
         ]},
        {"name": "web_sales", "volume": lines_volume(WEB_HEADER, 4, 48, 8, 16),
         "null_rows": 0.0005, "not_null": ["ws_item_sk", "ws_order_number"],
         "doc": "orders of 8-16 lines (mean 12); each line ships 1-120 days after the sale",
         "columns": [
             *first(LINES_WS),
             C("ws_sold_date_sk", I64, fn("date_sk")), C("ws_sold_time_sk", I64, derive("ws__time")),
             C("ws_ship_date_sk", I64, fn("date_sk", offset_days="ws__ship_lag")),
             C("ws_item_sk", I64, derive("ws__item")),
             C("ws_bill_customer_sk", I64, derive("ws__customer")), C("ws_bill_cdemo_sk", I64, derive("ws__cdemo")),
             C("ws_bill_hdemo_sk", I64, derive("ws__hdemo")), C("ws_bill_addr_sk", I64, derive("ws__addr")),
             C("ws_ship_customer_sk", I64, derive("ws__ship_customer")), C("ws_ship_cdemo_sk", I64, derive("ws__ship_cdemo")),
             C("ws_ship_hdemo_sk", I64, derive("ws__ship_hdemo")), C("ws_ship_addr_sk", I64, derive("ws__ship_addr")),
             C("ws_web_page_sk", I64, fn("uniform_key", table="web_page")),
             C("ws_web_site_sk", I64, derive("ws__site")), C("ws_ship_mode_sk", I64, fn("uniform_key", table="ship_mode")),
             C("ws_warehouse_sk", I64, fn("uniform_key", table="warehouse")),
             C("ws_promo_sk", I64, fn("uniform_key", table="promotion")),
             C("ws_order_number", I64, {"kind": "parent_key"}),
             *last(LINES_WS),
         ]},
        {"name": "web_returns", "volume": returns_volume("web_sales", "web"),
         "null_rows": 0.09, "not_null": ["wr_item_sk", "wr_order_number"],
         "columns": [
             *return_cols("wr", "web_sales", WS_SOLD, fn("time_of_day", weight=3)),
             C("wr_returned_date_sk", I64, fn("date_sk")), C("wr_returned_time_sk", I64, derive("wr__time")),
             C("wr_item_sk", I64, derive("wr__ws_item_sk")),
             *[C(f"wr_refunded_{x}", I64, derive(f"wr__ws_bill_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             *[C(f"wr_returning_{x}", I64, derive(f"wr__ws_ship_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             C("wr_web_page_sk", I64, derive("wr__ws_web_page_sk")),
             C("wr_reason_sk", I64, fn("uniform_key", table="reason")),
             C("wr_order_number", I64, derive("wr__ws_order_number")),
             *return_money("wr", "ws", "return_amt", "account_credit"),
         ]},
        {"name": "inventory", "volume": {"kind": "custom", "runtime": f"{L}:Inventory",
                                         "args": {"items": "item", "warehouses": "warehouse", "weeks": "$inventory_weeks", "weekday": 3}},
         "null_rows": 0.1, "not_null": ["inv_date_sk", "inv_item_sk", "inv_warehouse_sk"],
         "doc": "every Thursday: the quantity on hand of every business item (its version of that day) in every warehouse",
         "columns": [C("inv_date_sk", I64, fn("date_sk")), C("inv_item_sk", I64, fn("inventory_item")),
                     C("inv_warehouse_sk", I64, fn("loc", field="warehouse")),
                     C("inv_quantity_on_hand", I32, fn("inventory_qty", max_qty=1000))]},
    ],
    # version 3: web sales record the device, customers' e-mail addresses are no longer kept, store tax rates get
    # three digits before the point
    "versions": [{"version": 3, "doc": "ws_device on web sales; c_email_address dropped; s_tax_percentage widened", "migrations": [
        {"op": "add_column", "table": "web_sales", "after": "ws_web_site_sk", "column": {
            "name": "ws_device", "type": "string", "gen": {"kind": "choice", "values": [["desktop", 5], ["mobile", 4], ["tablet", 1]]}}},
        {"op": "drop_column", "table": "customer", "column": "c_email_address"},
        {"op": "widen_type", "table": "store", "column": "s_tax_percentage", "type": "decimal(7,2)"},
    ]}],
    "distributions": DISTRIBUTIONS,
})
