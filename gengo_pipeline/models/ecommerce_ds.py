"""ecommerce-ds: TPC-DS-compatible retail, all 24 tables (17 dimensions, 7 facts) with TPC-DS names and types.

Dimensions are unpartitioned and exist from day 0; they scale sub-linearly with the daily scale, as TPC-DS
dimensions do with the scale factor. Facts are partitioned by sale, return or inventory date. Store tickets and
catalog/web orders are header tables that are computed but not written (TPC-DS has no ticket table): every
line of a ticket shares its date, time, customer, store and ticket number. Date keys are Julian day numbers
(valid `d_date_sk`), time keys seconds since midnight (valid `t_time_sk`). Money is integer cents internally.
See README (section ecommerce-ds) for the rules and the distributions claimed below.
"""
from __future__ import annotations

from ..engine.spec import Model

L = "gengo_pipeline.models.ecommerce_ds_logic"
I64, I32, STR, DATE = "int64", "int32", "string", "date"
M72, M52, M152 = "decimal(7,2)", "decimal(5,2)", "decimal(15,2)"


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


def dim(rows, power: float = 1.0, min: int = 1, max: int | None = None) -> dict:
    return {"kind": "custom", "runtime": f"{L}:DimVolume", "args": {"rows": rows, "power": power, "min": min, "max": max}}


def key(name: str) -> dict:
    return C(name, I64, {"kind": "key"})


def bkey(name: str, of: str) -> dict:
    return C(name, STR, fn("bkey", of=of))


def person(name: str) -> list[dict]:
    return [H(f"{name}__first", {"kind": "vocab", "name": "first_names"}, STR),
            H(f"{name}__last", {"kind": "vocab", "name": "last_names"}, STR),
            C(name, STR, {"kind": "template", "format": f"{{{name}__first}} {{{name}__last}}"})]


def address(p: str, gmt: bool = True, street_number: tuple = (1, 999)) -> list[dict]:
    """The TPC-DS address columns: <p>_street_number .. <p>_country, <p>_gmt_offset; city/county/state/zip agree."""
    cols = [
        H(f"{p}__no", uni(*street_number)),
        C(f"{p}_street_number", STR, {"kind": "template", "format": f"{{{p}__no}}"}),
        C(f"{p}_street_name", STR, {"kind": "vocab", "name": "streets"}),
        C(f"{p}_street_type", STR, {"kind": "vocab", "name": "street_types"}),
        H(f"{p}__suite", uni(1, 99)),
        C(f"{p}_suite_number", STR, {"kind": "template", "format": f"Suite {{{p}__suite}}"}),
        H(f"{p}__place", {"kind": "vocab_index", "name": "us_cities"}),
        C(f"{p}_city", STR, {"kind": "vocab_field", "name": "us_cities", "field": "city", "of": f"{p}__place"}),
        C(f"{p}_county", STR, {"kind": "vocab_field", "name": "us_cities", "field": "county", "of": f"{p}__place"}),
        C(f"{p}_state", STR, {"kind": "vocab_field", "name": "us_cities", "field": "state", "of": f"{p}__place"}),
        C(f"{p}_zip", STR, {"kind": "vocab_nested", "name": "us_cities", "field": "zips", "of": f"{p}__place"}),
        C(f"{p}_country", STR, const("United States")),
    ]
    if gmt:
        cols.append(C(f"{p}_gmt_offset", M52, fn("gmt_offset", of=f"{p}_state")))
    return cols


def rec_dates(p: str) -> list[dict]:
    """Slowly-changing-dimension validity: one current version (end date NULL)."""
    return [C(f"{p}_rec_start_date", DATE, fn("origin_date", low=-3650, high=-400)),
            C(f"{p}_rec_end_date", DATE, fn("null_date"))]


CATEGORIES = ["Books", "Children", "Electronics", "Home", "Jewelry", "Men", "Music", "Shoes", "Sports", "Women"]
CLASSES = {
    "1": ["arts", "business", "computers", "cooking", "fiction", "history", "mystery", "romance", "science", "travel"],
    "2": ["infants", "newborn", "school-uniforms", "toddlers"],
    "3": ["audio", "automotive", "cameras", "camcorders", "disk drives", "karoke", "memory", "monitors", "personal", "portable", "scanners", "stereo", "televisions", "wireless"],
    "4": ["accent", "bathroom", "bedding", "blinds/shades", "curtains/drapes", "decor", "flatware", "furniture", "glassware", "kids", "lighting", "mattresses", "paint", "rugs", "tables", "wallpaper"],
    "5": ["birdal", "bracelets", "costume", "diamonds", "earings", "estate", "gold", "jewelry boxes", "loose stones", "mens watch", "pendants", "rings", "semi-precious", "womens watch"],
    "6": ["accessories", "pants", "shirts", "sports-apparel"],
    "7": ["classical", "country", "pop", "rock"],
    "8": ["athletic", "kids", "mens", "womens"],
    "9": ["archery", "athletic shoes", "baseball", "basketball", "camping", "fishing", "fitness", "football", "golf", "guns", "hockey", "optics", "outdoor", "pools", "sailing", "tennis"],
    "10": ["dresses", "fragrances", "maternity", "swimwear"],
}
# Median i_current_price (USD) by category: jewelry and electronics dearer than books and music.
PRICE_MEDIANS = {"1": 14.0, "2": 18.0, "3": 55.0, "4": 35.0, "5": 70.0, "6": 30.0, "7": 12.0, "8": 45.0, "9": 32.0, "10": 36.0}
SALE_SEASON = {"monthly": [0.82, 0.8, 0.88, 0.9, 0.95, 0.93, 0.95, 1.0, 0.97, 1.02, 1.25, 1.6],
               "peaks": [[11, 0, 2.2, 1.2], [12, 22, 1.5, 2.0]]}
WEB_SEASON = {"monthly": [0.9, 0.85, 0.9, 0.92, 0.95, 0.92, 0.97, 0.98, 0.95, 1.0, 1.3, 1.55],
              "peaks": [[11, 0, 1.8, 1.2], [12, 2, 2.0, 1.0]]}
STORE_HOURS = [0, 0, 0, 0, 0, 0, 0, 0, 0.6, 1.0, 1.3, 1.6, 1.9, 1.8, 1.5, 1.4, 1.5, 1.8, 1.9, 1.6, 1.2, 0.7, 0, 0]
PHONE_HOURS = [0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.2, 0.6, 1.0, 1.3, 1.4, 1.3, 1.2, 1.2, 1.2, 1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.5, 0.2, 0.1]
WEB_HOURS = [0.4, 0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95, 1.0, 1.1, 1.05, 1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 1.65, 1.6, 1.2, 0.7]
RETURN_SPLIT = [[0.5, 1.0, 0.0], [0.25, 0.0, 1.0], [0.15, 0.0, 0.0], [0.1, 0.5, 0.25]]  # (weight, cash share, charge share); rest is credit


def sale_lines(p: str, header: str, kind: str) -> list[dict]:
    """Item, promotion, quantity and the TPC-DS money columns of a sale line (p = ss/cs/ws); money in cents.

    list_price = i_current_price, wholesale_cost = i_wholesale_cost; sales_price = list x (1 - discount%) where
    the discount is the promotion's (lines whose item is promoted and take the offer) or a markdown;
    ext_x = quantity x x; coupon on some lines; net_paid = ext_sales_price - coupon_amt;
    ext_tax = net_paid x tax% of the store / call centre / web site; net_paid_inc_tax = net_paid + ext_tax;
    net_profit = net_paid - ext_wholesale_cost. Catalog and web also ship: ext_ship_cost = ext_list_price x
    ship%, net_paid_inc_ship(_tax) = net_paid (+ ext_tax) + ext_ship_cost.
    """
    return [
        H(f"{p}__h", fn("parent_cols", cols=[c for c in HEADER_COLS[kind]])),
        *[H(f"{p}__{c}", fn("pick", src=f"{p}__h", name=c)) for c in HEADER_COLS[kind]],
        H(f"{p}__item", fn("basket_item", anchor=f"{p}__anchor")),
        H(f"{p}__i", fn("lookup", table="item", via=f"{p}__item", cols=["i_current_price", "i_wholesale_cost"])),
        H(f"{p}__list", fn("pick", src=f"{p}__i", name="i_current_price")),
        H(f"{p}__whole", fn("pick", src=f"{p}__i", name="i_wholesale_cost")),
        H(f"{p}__promo", fn("promo_of_item", item=f"{p}__item", share="$promo_take_share")),
        H(f"{p}__pr", fn("lookup", table="promotion", via=f"{p}__promo1", cols=["p_discount_pct"])),
        H(f"{p}__promo1", derive(f"max({p}__promo, 1)")),
        H(f"{p}__promo_pct", fn("pick", src=f"{p}__pr", name="p_discount_pct")),
        H(f"{p}__markdown", choice([[0, 60], [5, 12], [10, 10], [20, 8], [30, 5], [50, 3], [70, 2]])),
        H(f"{p}__disc", derive(f"where({p}__promo > 0, {p}__promo_pct, {p}__markdown)")),
        H(f"{p}__coupon_pct", choice([[0, 85], [5, 5], [10, 5], [20, 3], [50, 2]])),
    ]


def money(p: str, ship: bool) -> list[dict]:
    q = f"{p}_quantity"
    cols = [
        C(q, I64, uni(1, 100)),
        C(f"{p}_wholesale_cost", M72, derive(f"{p}__whole")),
        C(f"{p}_list_price", M72, derive(f"{p}__list")),
        C(f"{p}_sales_price", M72, derive(f"round({p}__list * (100 - {p}__disc) / 100)")),
        C(f"{p}_ext_discount_amt", M72, derive(f"({p}_list_price - {p}_sales_price) * {q}")),
        C(f"{p}_ext_sales_price", M72, derive(f"{p}_sales_price * {q}")),
        C(f"{p}_ext_wholesale_cost", M72, derive(f"{p}_wholesale_cost * {q}")),
        C(f"{p}_ext_list_price", M72, derive(f"{p}_list_price * {q}")),
        C(f"{p}_ext_tax", M72, derive(f"round({p}_net_paid * {p}__tax / 100)")),
        C(f"{p}_coupon_amt", M72, derive(f"round({p}_ext_sales_price * {p}__coupon_pct / 100)")),
    ]
    if ship:
        cols.append(C(f"{p}_ext_ship_cost", M72, derive(f"round({p}_ext_list_price * {p}__ship_pct / 100)")))
    cols += [C(f"{p}_net_paid", M72, derive(f"{p}_ext_sales_price - {p}_coupon_amt")),
             C(f"{p}_net_paid_inc_tax", M72, derive(f"{p}_net_paid + {p}_ext_tax"))]
    if ship:
        cols += [C(f"{p}_net_paid_inc_ship", M72, derive(f"{p}_net_paid + {p}_ext_ship_cost")),
                 C(f"{p}_net_paid_inc_ship_tax", M72, derive(f"{p}_net_paid_inc_ship + {p}_ext_tax"))]
    cols.append(C(f"{p}_net_profit", M72, derive(f"{p}_net_paid - {p}_ext_wholesale_cost")))
    return cols


def customer_keys(prefix: str, via: str) -> list[dict]:
    """The customer's current cdemo/hdemo/addr keys (header columns): keys follow the customer."""
    return [H(f"{prefix}c", fn("lookup", table="customer", via=via, cols=["c_current_cdemo_sk", "c_current_hdemo_sk", "c_current_addr_sk"])),
            H(f"{prefix}cdemo", fn("pick", src=f"{prefix}c", name="c_current_cdemo_sk")),
            H(f"{prefix}hdemo", fn("pick", src=f"{prefix}c", name="c_current_hdemo_sk")),
            H(f"{prefix}addr", fn("pick", src=f"{prefix}c", name="c_current_addr_sk"))]


HEADER_COLS = {
    "store": ["anchor", "time", "customer", "cdemo", "hdemo", "addr", "store", "tax"],
    "catalog": ["anchor", "time", "customer", "cdemo", "hdemo", "addr", "ship_customer", "ship_cdemo", "ship_hdemo",
                "ship_addr", "call_center", "ship_mode", "ship_lag", "ship_pct", "tax"],
    "web": ["anchor", "time", "customer", "cdemo", "hdemo", "addr", "ship_customer", "ship_cdemo", "ship_hdemo",
            "ship_addr", "web_site", "ship_mode", "ship_lag", "ship_pct", "tax"],
}


def header(name: str, kind: str, rate: str, season: dict, weekday: list[float], hours: list[float]) -> dict:
    cols = [key("number"),
            H("anchor", fn("skew_rank", table="item", skew="$item_skew")),
            H("time", fn("time_of_day", hours=hours)),
            H("customer", fn("skew_key", table="customer", skew="$customer_skew")),
            *customer_keys("", "customer")]
    if kind == "store":
        cols += [H("store", fn("skew_key", table="store", skew=0.3)),
                 H("s", fn("lookup", table="store", via="store", cols=["s_tax_percentage"])),
                 H("tax", fn("pick", src="s", name="s_tax_percentage"))]
    else:
        cols += [H("ship_customer", fn("same_or_other", same="customer", table="customer", p_same="$ship_to_self_share")),
                 *customer_keys("ship_", "ship_customer"),
                 H("ship_mode", {"kind": "ref", "table": "ship_mode"}),
                 H("ship_lag", uni(1, "$max_ship_days")),
                 H("ship_pct", choice([[2, 20], [5, 40], [8, 25], [12, 15]]))]
        site, col = ("call_center", "cc_tax_percentage") if kind == "catalog" else ("web_site", "web_tax_percentage")
        cols += [H(site, fn("skew_key", table=site, skew=0.2)),
                 H("site", fn("lookup", table=site, via=site, cols=[col])),
                 H("tax", fn("pick", src="site", name=col))]
    vol = {"kind": "flow", "rate": rate, "growth_per_year": "$growth_per_year", "noise": 0.05, "seasonality": season,
           "weekday": weekday}
    return {"name": name, "key": "number", "volume": vol, "columns": cols}


def lines_volume(head: dict, block: int, total: int, lo: int, hi: int, pmf: list[float] | None = None) -> dict:
    return {"kind": "custom", "runtime": f"{L}:Lines", "parent": head["name"],
            "args": {"header": head, "lines": {"block": block, "total": total, "min": lo, "max": hi, "pmf": pmf}}}


def returns_volume(sales: str, rate: str, min_lag: int, max_lag: int) -> dict:
    return {"kind": "custom", "runtime": f"{L}:Returns",
            "args": {"sales": sales, "rate": rate, "min_lag": min_lag, "max_lag": max_lag, "lag_mean": "$return_lag_mean_days"}}


def return_cols(p: str, sales: str, s: str, sold_cols: list[str], amt: str, credit: str, hours: list[float]) -> list[dict]:
    """Common return columns: the sale line recomputed at its row index, quantity <= sold, amounts that add up."""
    return [
        H(f"{p}__row", fn("loc", field="sale")),
        H(f"{p}__s", fn("lookup", table=sales, rows=f"{p}__row", cols=sold_cols)),
        *[H(f"{p}__{c}", fn("pick", src=f"{p}__s", name=c)) for c in sold_cols],
        H(f"{p}__refund_split", fn("split3", total=f"{p}_return_amt_inc_tax", weights=RETURN_SPLIT)),
        H(f"{p}__ship_pct", choice([[0, 50], [5, 30], [10, 20]])),
        H(f"{p}__time", fn("time_of_day", hours=hours)),
    ]


def return_money(p: str, s: str, amt: str, credit: str) -> list[dict]:
    """return_amt = qty x sales_price; tax pro rata of the line's tax; cash + charge + credit = amt_inc_tax;
    net_loss = fee + return_ship_cost + return_tax."""
    q = f"{p}_return_quantity"
    return [
        C(q, I64, fn("return_quantity", sold=f"{p}__{s}_quantity", full_share="$return_full_share")),
        C(f"{p}_{amt}", M72, derive(f"{q} * {p}__{s}_sales_price")),
        C(f"{p}_return_tax", M72, derive(f"round({p}__{s}_ext_tax * {q} / {p}__{s}_quantity)")),
        C(f"{p}_return_amt_inc_tax", M72, derive(f"{p}_{amt} + {p}_return_tax")),
        C(f"{p}_fee", M72, uni(50, 10000)),
        C(f"{p}_return_ship_cost", M72, derive(f"round({q} * {p}__{s}_list_price * {p}__ship_pct / 100)")),
        C(f"{p}_refunded_cash", M72, fn("pick", src=f"{p}__refund_split", name="a")),
        C(f"{p}_reversed_charge", M72, fn("pick", src=f"{p}__refund_split", name="b")),
        C(f"{p}_{credit}", M72, fn("pick", src=f"{p}__refund_split", name="c")),
        C(f"{p}_net_loss", M72, derive(f"{p}_fee + {p}_return_ship_cost + {p}_return_tax")),
    ]


STORE_HEADER = header("store_ticket", "store", "$store_tickets_per_day", SALE_SEASON, [0.9, 0.85, 0.88, 0.95, 1.1, 1.3, 1.2], STORE_HOURS)
CATALOG_HEADER = header("catalog_order", "catalog", "$catalog_orders_per_day", SALE_SEASON, [1.1, 1.05, 1.0, 1.0, 0.95, 0.9, 1.0], PHONE_HOURS)
WEB_HEADER = header("web_order", "web", "$web_orders_per_day", WEB_SEASON, [1.05, 1.0, 1.0, 0.98, 0.92, 0.95, 1.15], WEB_HOURS)

SS_SOLD = ["ss_item_sk", "ss_customer_sk", "ss_cdemo_sk", "ss_hdemo_sk", "ss_addr_sk", "ss_store_sk", "ss_ticket_number",
           "ss_quantity", "ss_sales_price", "ss_list_price", "ss_ext_tax"]
CS_SOLD = ["cs_item_sk", "cs_bill_customer_sk", "cs_bill_cdemo_sk", "cs_bill_hdemo_sk", "cs_bill_addr_sk", "cs_ship_customer_sk",
           "cs_ship_cdemo_sk", "cs_ship_hdemo_sk", "cs_ship_addr_sk", "cs_call_center_sk", "cs_catalog_page_sk", "cs_ship_mode_sk",
           "cs_warehouse_sk", "cs_order_number", "cs_quantity", "cs_sales_price", "cs_list_price", "cs_ext_tax"]
WS_SOLD = ["ws_item_sk", "ws_bill_customer_sk", "ws_bill_cdemo_sk", "ws_bill_hdemo_sk", "ws_bill_addr_sk", "ws_ship_customer_sk",
           "ws_ship_cdemo_sk", "ws_ship_hdemo_sk", "ws_ship_addr_sk", "ws_web_page_sk", "ws_order_number", "ws_quantity",
           "ws_sales_price", "ws_list_price", "ws_ext_tax"]

REASONS = ["Package was damaged", "Stopped working", "Did not get it on time", "Not the product that was ordered", "Parts missing",
           "Does not work with a product that I have", "Gift exchange", "Did not like the color", "Did not like the model",
           "Did not like the make", "Did not like the warranty", "No service location in my area", "Found a better price in a store",
           "Found a better extended warranty in a store", "Not working any more", "Did not fit", "Wrong size", "Lost my job",
           "unauthoized purchase", "duplicate purchase", "its is a boy", "it is a girl", "reason 23", "reason 24", "reason 25",
           "reason 26", "reason 27", "reason 28", "reason 29", "reason 30", "reason 31", "reason 32", "reason 33", "reason 34", "reason 35"]



def _identities(p: str, ship: bool) -> str:
    rules = [f"{p}_ext_sales_price = {p}_sales_price * {p}_quantity", f"{p}_ext_list_price = {p}_list_price * {p}_quantity",
             f"{p}_ext_wholesale_cost = {p}_wholesale_cost * {p}_quantity",
             f"{p}_ext_discount_amt = ({p}_list_price - {p}_sales_price) * {p}_quantity",
             f"{p}_net_paid = {p}_ext_sales_price - {p}_coupon_amt", f"{p}_net_paid_inc_tax = {p}_net_paid + {p}_ext_tax",
             f"{p}_net_profit = {p}_net_paid - {p}_ext_wholesale_cost", f"{p}_sales_price <= {p}_list_price"]
    if ship:
        rules += [f"{p}_net_paid_inc_ship = {p}_net_paid + {p}_ext_ship_cost",
                  f"{p}_net_paid_inc_ship_tax = {p}_net_paid_inc_ship + {p}_ext_tax", f"{p}_ship_date_sk > {p}_sold_date_sk"]
    return " AND ".join(rules)


def _return_rules(p: str, amt: str, credit: str) -> str:
    return (f"{p}_return_amt_inc_tax = {p}_{amt} + {p}_return_tax AND {p}_refunded_cash + {p}_reversed_charge + {p}_{credit} = "
            f"{p}_return_amt_inc_tax AND {p}_return_quantity >= 1 AND {p}_net_loss = {p}_fee + {p}_return_ship_cost + {p}_return_tax")


DISTRIBUTIONS = [
    {"name": "store_weekday_shape", "table": "store_sales", "check": "weekday_share",
     "args": {"column": "date", "weights": [0.9, 0.85, 0.88, 0.95, 1.1, 1.3, 1.2]},
     "doc": "store sale lines per weekday follow the tickets' weekday factors (Saturday busiest)"},
    {"name": "store_december_peak", "table": "store_sales", "check": "month_peak", "args": {"column": "date", "peak_month": 12},
     "doc": "December has the most store sale lines per day (with the Black Friday peak in November)"},
    {"name": "web_december_peak", "table": "web_sales", "check": "month_peak", "args": {"column": "date", "peak_month": 12},
     "doc": "December has the most web sale lines per day"},
    {"name": "price_by_category", "table": "item", "check": "median_order",
     "args": {"column": "i_current_price", "by": "i_category_id", "higher": 5, "lower": 7},
     "doc": "Jewelry (5) has a higher median i_current_price than Music (7)"},
    {"name": "quantity_uniform", "table": "store_sales", "check": "mean_between", "args": {"column": "ss_quantity", "min": 49.5, "max": 51.5},
     "doc": "quantities are uniform on 1..100 as in TPC-DS (mean 50.5)"},
    {"name": "store_return_rate", "table": "store_returns", "check": "return_rate",
     "args": {"sales": "store_sales", "sold_date": "ss_sold_date_sk", "keys": ["sr_ticket_number", "sr_item_sk"],
              "sale_keys": ["ss_ticket_number", "ss_item_sk"], "rate": 0.08, "max_lag_days": 90},
     "doc": "8% of store sale lines are returned within 1-90 days"},
    {"name": "catalog_return_rate", "table": "catalog_returns", "check": "return_rate",
     "args": {"sales": "catalog_sales", "sold_date": "cs_sold_date_sk", "keys": ["cr_order_number", "cr_item_sk"],
              "sale_keys": ["cs_order_number", "cs_item_sk"], "rate": 0.10, "max_lag_days": 120},
     "doc": "10% of catalog sale lines are returned within 12-120 days"},
    {"name": "web_return_rate", "table": "web_returns", "check": "return_rate",
     "args": {"sales": "web_sales", "sold_date": "ws_sold_date_sk", "keys": ["wr_order_number", "wr_item_sk"],
              "sale_keys": ["ws_order_number", "ws_item_sk"], "rate": 0.12, "max_lag_days": 120},
     "doc": "12% of web sale lines are returned within 12-120 days"},
    # integrity rules (blocking): money identities and returns that reference their sale line
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

MODEL = Model.model_validate({
    "name": "ecommerce-ds",
    "aliases": ["ecom-ds", "e-commerce-ds", "eds", "tpcds", "tpc-ds"],
    "doc": "TPC-DS-compatible retail: 17 dimensions and 7 facts (store/catalog/web sales and returns, inventory).",
    "sizing_table": "store_sales",
    "scale_factor_rows": {"store_sales": 2_880_404, "catalog_sales": 1_441_548, "web_sales": 719_384},
    "scale_factor_days": 365,
    "params": {
        # Daily header volumes at scale 1 (the planner scales them); SF 1 over 365 days lands near scale 1.
        "store_tickets_per_day": 610.0,    # x 12 lines -> ~2.9M store_sales lines a year
        "catalog_orders_per_day": 405.0,   # x 9 lines
        "web_orders_per_day": 305.0,       # x 6 lines
        "growth_per_year": 0.08,
        "customer_skew": 0.45,             # ticket weight ~ rank^-skew
        "item_skew": 0.55,
        "promo_take_share": 0.7,           # lines of a promoted item that take the promotion
        "ship_to_self_share": 0.85,        # catalog/web orders shipped to the bill-to customer
        "max_ship_days": 10,               # ship date = sold date + 1..10 days
        "store_return_rate": 0.08, "catalog_return_rate": 0.10, "web_return_rate": 0.12,
        "return_lag_mean_days": 12.0,      # exponential lag after the earliest return day
        "return_full_share": 0.7,          # returns of the whole line quantity
        "inventory_item_stride": 2,        # inventory tracks every 2nd item (as dsdgen tracks half the items)
        # Dimension rows at scale 1 (TPC-DS SF 1) and their growth exponent with the scale.
        "customers": 100_000, "addresses": 50_000, "items": 18_000, "promotions": 300, "stores": 12,
        "call_centers": 6, "catalog_pages": 11_718, "web_sites": 30, "web_pages": 60, "warehouses": 5, "reasons": 35,
    },
    "vocab": {
        "streets": ["Main", "Oak", "Park", "Elm", "Maple", "Cedar", "Pine", "Lake", "Hill", "Washington", "Lincoln", "Jackson",
                    "Church", "Spring", "Ridge", "Forest", "Sunset", "River", "Highland", "Meadow", "Willow", "Valley", "Center",
                    "Mill", "Walnut", "Cherry", "Dogwood", "Hickory", "Laurel", "Locust", "1st", "2nd", "3rd", "4th", "5th",
                    "6th", "7th", "8th", "9th", "10th", "11th", "12th", "13th", "14th", "15th", "Adams", "Madison", "Johnson"],
        "street_types": [["Street", 20], ["Ave", 12], ["Avenue", 8], ["Blvd", 6], ["Boulevard", 4], ["Circle", 4], ["Court", 5],
                         ["Ct.", 3], ["Dr.", 6], ["Drive", 6], ["Lane", 6], ["Ln", 4], ["Parkway", 4], ["Road", 7], ["RD", 3],
                         ["ST", 3], ["Way", 5], ["Wy", 2]],
        "countries": [["UNITED STATES", 60], ["MEXICO", 5], ["CANADA", 5], ["GERMANY", 3], ["INDIA", 4], ["CHINA", 4],
                      ["PHILIPPINES", 3], ["UNITED KINGDOM", 3], ["VIETNAM", 2], ["KOREA, REPUBLIC OF", 2], ["ITALY", 2],
                      ["BRAZIL", 2], ["POLAND", 1], ["JAPAN", 1], ["IRELAND", 1], ["FRANCE", 1], ["CUBA", 1]],
        "email_domains": [["gmail.com", 40], ["yahoo.com", 15], ["hotmail.com", 10], ["outlook.com", 10], ["aol.com", 5],
                          ["icloud.com", 8], ["comcast.net", 4]],
        "adjectives": ["Able", "Bright", "Classic", "Deluxe", "Elegant", "Fresh", "Grand", "Handy", "Ideal", "Jolly", "Keen",
                       "Lucky", "Modern", "Noble", "Prime", "Quiet", "Royal", "Smart", "True", "Urban", "Vivid", "Warm"],
    },
    "tables": [
        # ------------------------------------------------------------ fixed calendar dimensions
        {"name": "date_dim", "partitioned": False, "key": "d_date_sk", "volume": dim(73_049, power=0.0),
         "doc": "1900-01-02 .. 2100-01-01; d_date_sk = Julian day number",
         "columns": [C("d_date_sk", I64, fn("date_part", part="sk")), bkey("d_date_id", "d_date_sk"),
                     C("d_date", DATE, fn("date_part", part="date"))]
         + [C(f"d_{p}", I64, fn("date_part", part=p)) for p in ["month_seq", "week_seq", "quarter_seq", "year", "dow", "moy", "dom", "qoy"]]
         + [C("d_fy_year", I64, derive("d_year")), C("d_fy_quarter_seq", I64, derive("d_quarter_seq")),
            C("d_fy_week_seq", I64, derive("d_week_seq"))]
         + [C(f"d_{p}", STR, fn("date_part", part=p)) for p in ["day_name", "quarter_name", "holiday", "weekend", "following_holiday"]]
         + [C(f"d_{p}", I64, fn("date_part", part=p)) for p in ["first_dom", "last_dom", "same_day_ly", "same_day_lq"]]
         + [C(f"d_current_{p}", STR, fn("date_part", part=f"current_{p}")) for p in ["day", "week", "month", "quarter", "year"]]},
        {"name": "time_dim", "partitioned": False, "key": "t_time_sk", "volume": dim(86_400, power=0.0),
         "columns": [C("t_time_sk", I64, derive("key - 1")), H("key", {"kind": "key"}), bkey("t_time_id", "key"),
                     C("t_time", I64, derive("t_time_sk"))]
         + [C(f"t_{p}", I64, fn("time_part", part=p)) for p in ["hour", "minute", "second"]]
         + [C(f"t_{p}", STR, fn("time_part", part=p)) for p in ["am_pm", "shift", "sub_shift", "meal_time"]]},
        # ------------------------------------------------------------ demographics
        {"name": "income_band", "partitioned": False, "key": "ib_income_band_sk", "volume": dim(20, power=0.0),
         "columns": [key("ib_income_band_sk"), C("ib_lower_bound", I64, derive("where(ib_income_band_sk == 1, 0, (ib_income_band_sk - 1) * 10000 + 1)")),
                     C("ib_upper_bound", I32, derive("ib_income_band_sk * 10000"))]},
        {"name": "household_demographics", "partitioned": False, "key": "hd_demo_sk", "volume": dim(7_200, power=0.0),
         "doc": "all 7,200 combinations of income band x buy potential x dependants x vehicles",
         "columns": [key("hd_demo_sk"), H("x", derive("hd_demo_sk - 1")),
                     C("hd_income_band_sk", I64, fn("radix", of="x", div=1, base=20, add=1)),
                     C("hd_buy_potential", STR, fn("radix", of="x", div=20, base=6, values=["0-500", "501-1000", "1001-5000", "5001-10000", ">10000", "Unknown"])),
                     C("hd_dep_count", I64, fn("radix", of="x", div=120, base=10)),
                     C("hd_vehicle_count", I32, fn("radix", of="x", div=1200, base=6, add=-1))]},
        {"name": "customer_demographics", "partitioned": False, "key": "cd_demo_sk", "volume": dim(1_920_800, power=1.0, min=1_000, max=1_920_800),
         "doc": "combinations of the 8 attributes (1,920,800 at SF 1, a scattered subset below)",
         "columns": [key("cd_demo_sk"), H("x", fn("combo", of="cd_demo_sk", size=1_920_800)),
                     C("cd_gender", STR, fn("radix", of="x", div=1, base=2, values=["M", "F"])),
                     C("cd_marital_status", STR, fn("radix", of="x", div=2, base=5, values=["M", "S", "D", "W", "U"])),
                     C("cd_education_status", STR, fn("radix", of="x", div=10, base=7, values=["Primary", "Secondary", "College", "2 yr Degree", "4 yr Degree", "Advanced Degree", "Unknown"])),
                     C("cd_purchase_estimate", I64, fn("radix", of="x", div=70, base=20, mult=500, add=500)),
                     C("cd_credit_rating", STR, fn("radix", of="x", div=1400, base=4, values=["Good", "High Risk", "Low Risk", "Unknown"])),
                     C("cd_dep_count", I64, fn("radix", of="x", div=5600, base=7)),
                     C("cd_dep_employed_count", I64, fn("radix", of="x", div=39200, base=7)),
                     C("cd_dep_college_count", I32, fn("radix", of="x", div=274400, base=7))]},
        # ------------------------------------------------------------ customers
        {"name": "customer_address", "partitioned": False, "key": "ca_address_sk", "volume": dim("$addresses", power=0.7, min=50),
         "columns": [key("ca_address_sk"), bkey("ca_address_id", "ca_address_sk"), *address("ca"),
                     C("ca_location_type", STR, choice([["single family", 50], ["apartment", 35], ["condo", 15]]))]},
        {"name": "customer", "partitioned": False, "key": "c_customer_sk", "volume": dim("$customers", power=0.7, min=100),
         "columns": [
             key("c_customer_sk"), bkey("c_customer_id", "c_customer_sk"),
             C("c_current_cdemo_sk", I64, {"kind": "ref", "table": "customer_demographics"}),
             C("c_current_hdemo_sk", I64, {"kind": "ref", "table": "household_demographics"}),
             C("c_current_addr_sk", I64, {"kind": "ref", "table": "customer_address"}),
             C("c_first_shipto_date_sk", I64, derive("c_first_sales_date_sk + c__ship_lag")), H("c__ship_lag", uni(0, 30)),
             C("c_first_sales_date_sk", I64, fn("origin_sk", low=-3650, high=-30)),
             H("sex", choice([["F", 51], ["M", 49]]), STR),
             C("c_salutation", STR, {"kind": "choice_by", "by": "sex", "options": {
                 "F": [["Ms.", 40], ["Mrs.", 40], ["Miss", 12], ["Dr.", 8]], "M": [["Mr.", 85], ["Sir", 5], ["Dr.", 10]]}}),
             C("c_first_name", STR, {"kind": "vocab", "name": "first_names", "where_field": "sex", "where_column": "sex"}),
             C("c_last_name", STR, {"kind": "vocab", "name": "last_names"}),
             C("c_preferred_cust_flag", STR, choice([["Y", 50], ["N", 50]])),
             H("c__birth", fn("origin_date", low=-33_000, high=-6_600)),
             C("c_birth_day", I64, fn("date_part_of", of="c__birth", part="dom")),
             C("c_birth_month", I64, fn("date_part_of", of="c__birth", part="moy")),
             C("c_birth_year", I64, fn("date_part_of", of="c__birth", part="year")),
             C("c_birth_country", STR, {"kind": "vocab", "name": "countries"}),
             H("c__domain", {"kind": "vocab", "name": "email_domains"}, STR),
             C("c_login", STR, {"kind": "template", "format": "{c_first_name}{c_customer_sk}", "lower": True, "strip_spaces": True}),
             C("c_email_address", STR, {"kind": "template", "format": "{c_first_name}.{c_last_name}{c_customer_sk}@{c__domain}", "strip_spaces": True}),
             C("c_last_review_date_sk", I32, fn("origin_sk", low=-365, high=-1)),
         ]},
        # ------------------------------------------------------------ products and promotions
        {"name": "item", "partitioned": False, "key": "i_item_sk", "volume": dim("$items", power=0.6, min=100),
         "columns": [
             key("i_item_sk"), bkey("i_item_id", "i_item_sk"), *rec_dates("i"),
             H("i__adj", {"kind": "vocab", "name": "adjectives"}, STR),
             C("i_item_desc", STR, {"kind": "template", "format": "{i__adj} {i_class} for {i_category}: {i_product_name}"}),
             C("i_current_price", M72, {"kind": "lognormal_money", "by": "i_category_id", "medians": PRICE_MEDIANS, "sigma": 0.7,
                                        "min": 0.99, "max": 300.0}),
             H("i__margin", {"kind": "uniform", "low": 0.3, "high": 0.8}, "float64"),
             C("i_wholesale_cost", M72, derive("max(round(i_current_price * i__margin), 1)")),
             C("i_brand_id", I64, derive("i_category_id * 1000000 + i__class_no * 1000 + i__brand_no")),
             H("i__brand_no", uni(1, 10)),
             C("i_brand", STR, {"kind": "template", "format": "{i__brand_word} #{i__brand_no}"}),
             H("i__brand_word", fn("syllables", of="i__brand_seed")),
             H("i__brand_seed", derive("(i_category_id * 37 + i__class_no * 11 + i__brand_no * 7) % 1000")),
             H("i__class_no", fn("class_no", by="i_category_id", classes=CLASSES)),
             C("i_class_id", I64, derive("i__class_no")),
             C("i_class", STR, fn("class_name", by="i_category_id", of="i__class_no", classes=CLASSES)),
             C("i_category_id", I64, choice([[1, 12], [2, 6], [3, 12], [4, 12], [5, 8], [6, 10], [7, 8], [8, 8], [9, 12], [10, 12]])),
             C("i_category", STR, fn("category_name", of="i_category_id", names=CATEGORIES)),
             C("i_manufact_id", I64, uni(1, 1000)),
             C("i_manufact", STR, fn("syllables", of="i_manufact_id")),
             C("i_size", STR, choice([["small", 15], ["medium", 25], ["large", 20], ["extra large", 10], ["economy", 10], ["petite", 8], ["N/A", 12]])),
             C("i_formulation", STR, fn("bkey", of="i__formula")), H("i__formula", uni(1, 2_000_000_000)),
             C("i_color", STR, choice(["almond", "antique", "aquamarine", "azure", "beige", "bisque", "black", "blue", "blush", "brown",
                                       "burlywood", "chartreuse", "chiffon", "chocolate", "coral", "cornflower", "cream", "cyan", "dark",
                                       "forest", "gainsboro", "ghost", "goldenrod", "green", "grey", "honeydew", "hot", "indian", "ivory",
                                       "khaki", "lace", "lavender", "lawn", "lemon", "light", "lime", "linen", "magenta", "maroon", "medium",
                                       "metallic", "midnight", "mint", "misty", "moccasin", "navajo", "navy", "olive", "orange", "orchid",
                                       "pale", "papaya", "peach", "peru", "pink", "plum", "powder", "puff", "purple", "red", "rose", "rosy",
                                       "royal", "saddle", "salmon", "sandy", "seashell", "sienna", "sky", "slate", "smoke", "snow", "spring",
                                       "steel", "tan", "thistle", "tomato", "turquoise", "violet", "wheat", "white", "yellow"])),
             C("i_units", STR, choice(["Each", "Dozen", "Case", "Pallet", "Gross", "Box", "Bunch", "Bundle", "Carton", "Cup", "Dram",
                                       "Gram", "Lb", "N/A", "Ounce", "Oz", "Pound", "Tbl", "Ton", "Tsp", "Unknown"])),
             C("i_container", STR, choice([["Unknown", 90], ["Box", 5], ["Bag", 5]])),
             C("i_manager_id", I64, uni(1, 100)),
             C("i_product_name", STR, fn("syllables", of="i_item_sk")),
         ]},
        {"name": "promotion", "partitioned": False, "key": "p_promo_sk", "volume": dim("$promotions", power=0.25, min=10),
         "doc": "promotion k promotes item ((k-1) x stride) mod N + 1; sale lines of that item may take it",
         "columns": [
             key("p_promo_sk"), bkey("p_promo_id", "p_promo_sk"),
             C("p_start_date_sk", I64, fn("origin_sk", low=-60, high=330)),
             C("p_end_date_sk", I64, derive("p_start_date_sk + p__len")), H("p__len", uni(14, 90)),
             C("p_item_sk", I64, fn("promo_item", of="p_promo_sk")),
             C("p_cost", M152, {"kind": "lognormal_money", "median": 1000.0, "sigma": 0.5, "min": 100.0, "max": 20000.0}),
             C("p_response_target", I64, const(1)),
             C("p_promo_name", STR, fn("syllables", of="p_promo_sk")),
             *[C(f"p_channel_{c}", STR, choice([["Y", w], ["N", 100 - w]])) for c, w in
               [("dmail", 50), ("email", 20), ("catalog", 30), ("tv", 15), ("radio", 10), ("press", 20), ("event", 10), ("demo", 15)]],
             C("p_channel_details", STR, {"kind": "template", "format": "{p__pct}% off {p_promo_name}"}),
             C("p_purpose", STR, choice([["Unknown", 70], ["Clearance", 10], ["Seasonal", 10], ["Launch", 10]])),
             C("p_discount_active", STR, const("N")),
             H("p_discount_pct", choice([[10, 30], [15, 20], [20, 25], [25, 10], [30, 10], [40, 5]])),
             H("p__pct", derive("p_discount_pct")),
         ]},
        # ------------------------------------------------------------ channels
        {"name": "store", "partitioned": False, "key": "s_store_sk", "volume": dim("$stores", power=0.8, min=2),
         "columns": [
             key("s_store_sk"), bkey("s_store_id", "s_store_sk"), *rec_dates("s"),
             C("s_closed_date_sk", I64, fn("null_int")),
             C("s_store_name", STR, fn("syllables", of="s_store_sk")),
             C("s_number_employees", I64, uni(200, 300)), C("s_floor_space", I64, uni(5_000_000, 10_000_000)),
             C("s_hours", STR, choice([["8AM-4PM", 20], ["8AM-12AM", 50], ["8AM-8AM", 30]])),
             *person("s_manager"),
             C("s_market_id", I64, uni(1, 10)), C("s_geography_class", STR, const("Unknown")),
             C("s_market_desc", STR, {"kind": "template", "format": "Market {s_market_id}: {s_city} area stores"}),
             *person("s_market_manager"),
             C("s_division_id", I64, const(1)), C("s_division_name", STR, const("Unknown")),
             C("s_company_id", I64, const(1)), C("s_company_name", STR, const("Unknown")),
             *address("s"),
             C("s_tax_percentage", M52, uni(0, 11)),
         ]},
        {"name": "call_center", "partitioned": False, "key": "cc_call_center_sk", "volume": dim("$call_centers", power=0.4, min=1),
         "columns": [
             key("cc_call_center_sk"), bkey("cc_call_center_id", "cc_call_center_sk"), *rec_dates("cc"),
             C("cc_closed_date_sk", I64, fn("null_int")), C("cc_open_date_sk", I64, fn("origin_sk", low=-3650, high=-365)),
             C("cc_name", STR, {"kind": "cycle", "values": ["NY Metro", "Mid Atlantic", "North Midwest", "Pacific Northwest", "California",
                                                            "Hawaii/Alaska", "Southeast", "Central", "Southwest", "New England"]}),
             C("cc_class", STR, choice(["small", "medium", "large"])),
             C("cc_employees", I64, uni(50, 700)), C("cc_sq_ft", I64, uni(2_000, 40_000)),
             C("cc_hours", STR, choice(["8AM-4PM", "8AM-12AM", "8AM-8AM"])), *person("cc_manager"),
             C("cc_mkt_id", I64, uni(1, 6)), C("cc_mkt_class", STR, {"kind": "template", "format": "Market class {cc_mkt_id}"}),
             C("cc_mkt_desc", STR, {"kind": "template", "format": "Calls for market {cc_mkt_id} from {cc_city}"}),
             *person("cc_market_manager"),
             C("cc_division", I64, uni(1, 6)), C("cc_division_name", STR, fn("syllables", of="cc_division")),
             C("cc_company", I64, uni(1, 6)), C("cc_company_name", STR, fn("syllables", of="cc_company")),
             *address("cc"), C("cc_tax_percentage", M52, uni(0, 12)),
         ]},
        {"name": "catalog_page", "partitioned": False, "key": "cp_catalog_page_sk", "volume": dim("$catalog_pages", power=0.3, min=20),
         "doc": "catalogs of 108 pages; catalog n is valid for its type's period",
         "columns": [
             key("cp_catalog_page_sk"), bkey("cp_catalog_page_id", "cp_catalog_page_sk"),
             C("cp_start_date_sk", I64, derive("epoch_day + 2440588 - 60 + ((cp_catalog_number - 1) % 12) * 30")),
             C("cp_end_date_sk", I64, derive("cp_start_date_sk + where(cp__type == 0, 30, where(cp__type == 1, 91, 182)) - 1")),
             C("cp_department", STR, const("DEPARTMENT")),
             C("cp_catalog_number", I64, derive("(cp_catalog_page_sk - 1) // 108 + 1")),
             C("cp_catalog_page_number", I64, derive("(cp_catalog_page_sk - 1) % 108 + 1")),
             H("cp__type", derive("cp_catalog_number % 3")),
             H("cp__adj", {"kind": "vocab", "name": "adjectives"}, STR),
             C("cp_description", STR, {"kind": "template", "format": "{cp__adj} offers of catalog {cp_catalog_number}, page {cp_catalog_page_number}"}),
             C("cp_type", STR, fn("radix", of="cp__type", div=1, base=3, values=["monthly", "quarterly", "bi-annual"])),
         ]},
        {"name": "web_site", "partitioned": False, "key": "web_site_sk", "volume": dim("$web_sites", power=0.1, min=1),
         "columns": [
             key("web_site_sk"), bkey("web_site_id", "web_site_sk"), *rec_dates("web"),
             H("n", derive("web_site_sk - 1")), C("web_name", STR, {"kind": "template", "format": "site_{n}"}),
             C("web_open_date_sk", I64, fn("origin_sk", low=-3650, high=-365)), C("web_close_date_sk", I64, fn("null_int")),
             C("web_class", STR, const("Unknown")), *person("web_manager"),
             C("web_mkt_id", I64, uni(1, 6)), C("web_mkt_class", STR, {"kind": "template", "format": "Web market class {web_mkt_id}"}),
             C("web_mkt_desc", STR, {"kind": "template", "format": "Online shoppers of market {web_mkt_id}"}),
             *person("web_market_manager"),
             C("web_company_id", I64, uni(1, 6)), C("web_company_name", STR, fn("syllables", of="web_company_id")),
             *address("web"), C("web_tax_percentage", M52, uni(0, 12)),
         ]},
        {"name": "web_page", "partitioned": False, "key": "wp_web_page_sk", "volume": dim("$web_pages", power=0.6, min=4),
         "columns": [
             key("wp_web_page_sk"), bkey("wp_web_page_id", "wp_web_page_sk"), *rec_dates("wp"),
             C("wp_creation_date_sk", I64, fn("origin_sk", low=-1000, high=-100)),
             C("wp_access_date_sk", I64, fn("origin_sk", low=-99, high=-1)),
             C("wp_autogen_flag", STR, choice([["Y", 30], ["N", 70]])),
             C("wp_customer_sk", I64, {"kind": "ref", "table": "customer"}),
             C("wp_url", STR, const("http://www.foo.com")),
             C("wp_type", STR, choice([["welcome", 10], ["protected", 10], ["dynamic", 25], ["feedback", 5], ["general", 20], ["order", 20], ["ad", 10]])),
             C("wp_char_count", I64, uni(300, 8000)), C("wp_link_count", I64, uni(2, 25)), C("wp_image_count", I64, uni(1, 7)),
             C("wp_max_ad_count", I32, uni(0, 4)),
         ]},
        {"name": "warehouse", "partitioned": False, "key": "w_warehouse_sk", "volume": dim("$warehouses", power=0.3, min=1),
         "columns": [
             key("w_warehouse_sk"), bkey("w_warehouse_id", "w_warehouse_sk"),
             H("w__adj", {"kind": "vocab", "name": "adjectives"}, STR),
             C("w_warehouse_name", STR, {"kind": "template", "format": "{w__adj} {w_city} distribution center"}),
             C("w_warehouse_sq_ft", I64, uni(50_000, 1_000_000)), *address("w"),
         ]},
        {"name": "reason", "partitioned": False, "key": "r_reason_sk", "volume": dim("$reasons", power=0.1, min=5),
         "columns": [key("r_reason_sk"), bkey("r_reason_id", "r_reason_sk"), C("r_reason_desc", STR, {"kind": "cycle", "values": REASONS})]},
        {"name": "ship_mode", "partitioned": False, "key": "sm_ship_mode_sk", "volume": dim(20, power=0.0),
         "columns": [
             key("sm_ship_mode_sk"), bkey("sm_ship_mode_id", "sm_ship_mode_sk"), H("x", derive("sm_ship_mode_sk - 1")),
             C("sm_type", STR, fn("radix", of="x", div=1, base=6, values=["REGULAR", "EXPRESS", "NEXT DAY", "OVERNIGHT", "TWO DAY", "LIBRARY"])),
             C("sm_code", STR, fn("radix", of="x", div=6, base=4, values=["AIR", "SURFACE", "SEA", "BIKE"])),
             C("sm_carrier", STR, {"kind": "cycle", "values": ["UPS", "FEDEX", "AIRBORNE", "USPS", "DHL", "TBS", "ZHOU", "ZOUROS", "MSC", "LATVIAN",
                                                               "ALLIANCE", "ORIENTAL", "BARIAN", "BOXBUNDLES", "GREAT EASTERN", "DIAMOND",
                                                               "RUPEKSA", "GERMA", "HARMSTORF", "PRIVATECARRIER"]}),
             C("sm_contract", STR, fn("bkey", of="sm__c")), H("sm__c", uni(1, 2_000_000_000)),
         ]},
        # ------------------------------------------------------------ facts
        {"name": "store_sales", "key": None, "volume": lines_volume(STORE_HEADER, 4, 48, 8, 16),
         "doc": "tickets of 8-16 lines (mean 12), items distinct within a ticket",
         "columns": [
             *sale_lines("ss", "store_ticket", "store"),
             C("ss_sold_date_sk", I64, fn("date_sk")),
             C("ss_sold_time_sk", I64, derive("ss__time")),
             C("ss_item_sk", I64, derive("ss__item")),
             C("ss_customer_sk", I64, derive("ss__customer")),
             C("ss_cdemo_sk", I64, derive("ss__cdemo")), C("ss_hdemo_sk", I64, derive("ss__hdemo")), C("ss_addr_sk", I64, derive("ss__addr")),
             C("ss_store_sk", I64, derive("ss__store")),
             C("ss_promo_sk", I64, fn("nullable", of="ss__promo")),
             C("ss_ticket_number", I64, {"kind": "parent_key"}),
             *money("ss", ship=False),
         ]},
        {"name": "store_returns", "volume": returns_volume("store_sales", "$store_return_rate", 1, 90),
         "columns": [
             *return_cols("sr", "store_sales", "ss", SS_SOLD, "return_amt", "store_credit", STORE_HOURS),
             C("sr_returned_date_sk", I64, fn("date_sk")), C("sr_return_time_sk", I64, derive("sr__time")),
             C("sr_item_sk", I64, derive("sr__ss_item_sk")), C("sr_customer_sk", I64, derive("sr__ss_customer_sk")),
             C("sr_cdemo_sk", I64, derive("sr__ss_cdemo_sk")), C("sr_hdemo_sk", I64, derive("sr__ss_hdemo_sk")),
             C("sr_addr_sk", I64, derive("sr__ss_addr_sk")), C("sr_store_sk", I64, derive("sr__ss_store_sk")),
             C("sr_reason_sk", I64, {"kind": "ref", "table": "reason", "skew": 0.3}),
             C("sr_ticket_number", I64, derive("sr__ss_ticket_number")),
             *return_money("sr", "ss", "return_amt", "store_credit"),
         ]},
        {"name": "catalog_sales", "volume": lines_volume(CATALOG_HEADER, 4, 36, 4, 14),
         "doc": "orders of 4-14 lines (mean 9), shipped 1..max_ship_days after the sale",
         "columns": [
             *sale_lines("cs", "catalog_order", "catalog"),
             C("cs_sold_date_sk", I64, fn("date_sk")), C("cs_sold_time_sk", I64, derive("cs__time")),
             C("cs_ship_date_sk", I64, fn("date_sk", offset_days="cs__ship_lag")),
             C("cs_bill_customer_sk", I64, derive("cs__customer")), C("cs_bill_cdemo_sk", I64, derive("cs__cdemo")),
             C("cs_bill_hdemo_sk", I64, derive("cs__hdemo")), C("cs_bill_addr_sk", I64, derive("cs__addr")),
             C("cs_ship_customer_sk", I64, derive("cs__ship_customer")), C("cs_ship_cdemo_sk", I64, derive("cs__ship_cdemo")),
             C("cs_ship_hdemo_sk", I64, derive("cs__ship_hdemo")), C("cs_ship_addr_sk", I64, derive("cs__ship_addr")),
             C("cs_call_center_sk", I64, derive("cs__call_center")),
             C("cs_catalog_page_sk", I64, {"kind": "ref", "table": "catalog_page", "skew": 0.3}),
             C("cs_ship_mode_sk", I64, derive("cs__ship_mode")),
             C("cs_warehouse_sk", I64, {"kind": "ref", "table": "warehouse"}),
             C("cs_item_sk", I64, derive("cs__item")), C("cs_promo_sk", I64, fn("nullable", of="cs__promo")),
             C("cs_order_number", I64, {"kind": "parent_key"}),
             *money("cs", ship=True),
         ]},
        {"name": "catalog_returns", "volume": returns_volume("catalog_sales", "$catalog_return_rate", 12, 120),
         "columns": [
             *return_cols("cr", "catalog_sales", "cs", CS_SOLD, "return_amount", "store_credit", PHONE_HOURS),
             C("cr_returned_date_sk", I64, fn("date_sk")), C("cr_returned_time_sk", I64, derive("cr__time")),
             C("cr_item_sk", I64, derive("cr__cs_item_sk")),
             *[C(f"cr_refunded_{x}", I64, derive(f"cr__cs_bill_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             *[C(f"cr_returning_{x}", I64, derive(f"cr__cs_ship_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             *[C(f"cr_{x}", I64, derive(f"cr__cs_{x}")) for x in ["call_center_sk", "catalog_page_sk", "ship_mode_sk", "warehouse_sk"]],
             C("cr_reason_sk", I64, {"kind": "ref", "table": "reason", "skew": 0.3}),
             C("cr_order_number", I64, derive("cr__cs_order_number")),
             *return_money("cr", "cs", "return_amount", "store_credit"),
         ]},
        {"name": "web_sales", "volume": lines_volume(WEB_HEADER, 4, 24, 2, 10),
         "doc": "orders of 2-10 lines (mean 6), shipped 1..max_ship_days after the sale",
         "columns": [
             *sale_lines("ws", "web_order", "web"),
             C("ws_sold_date_sk", I64, fn("date_sk")), C("ws_sold_time_sk", I64, derive("ws__time")),
             C("ws_ship_date_sk", I64, fn("date_sk", offset_days="ws__ship_lag")),
             C("ws_item_sk", I64, derive("ws__item")),
             C("ws_bill_customer_sk", I64, derive("ws__customer")), C("ws_bill_cdemo_sk", I64, derive("ws__cdemo")),
             C("ws_bill_hdemo_sk", I64, derive("ws__hdemo")), C("ws_bill_addr_sk", I64, derive("ws__addr")),
             C("ws_ship_customer_sk", I64, derive("ws__ship_customer")), C("ws_ship_cdemo_sk", I64, derive("ws__ship_cdemo")),
             C("ws_ship_hdemo_sk", I64, derive("ws__ship_hdemo")), C("ws_ship_addr_sk", I64, derive("ws__ship_addr")),
             C("ws_web_page_sk", I64, {"kind": "ref", "table": "web_page", "skew": 0.4}),
             C("ws_web_site_sk", I64, derive("ws__web_site")), C("ws_ship_mode_sk", I64, derive("ws__ship_mode")),
             C("ws_warehouse_sk", I64, {"kind": "ref", "table": "warehouse"}),
             C("ws_promo_sk", I64, fn("nullable", of="ws__promo")),
             C("ws_order_number", I64, {"kind": "parent_key"}),
             *money("ws", ship=True),
         ]},
        {"name": "web_returns", "volume": returns_volume("web_sales", "$web_return_rate", 12, 120),
         "columns": [
             *return_cols("wr", "web_sales", "ws", WS_SOLD, "return_amt", "account_credit", WEB_HOURS),
             C("wr_returned_date_sk", I64, fn("date_sk")), C("wr_returned_time_sk", I64, derive("wr__time")),
             C("wr_item_sk", I64, derive("wr__ws_item_sk")),
             *[C(f"wr_refunded_{x}", I64, derive(f"wr__ws_bill_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             *[C(f"wr_returning_{x}", I64, derive(f"wr__ws_ship_{x}")) for x in ["customer_sk", "cdemo_sk", "hdemo_sk", "addr_sk"]],
             C("wr_web_page_sk", I64, derive("wr__ws_web_page_sk")),
             C("wr_reason_sk", I64, {"kind": "ref", "table": "reason", "skew": 0.3}),
             C("wr_order_number", I64, derive("wr__ws_order_number")),
             *return_money("wr", "ws", "return_amt", "account_credit"),
         ]},
        {"name": "inventory", "volume": {"kind": "custom", "runtime": f"{L}:Inventory",
                                         "args": {"items": "item", "warehouses": "warehouse", "stride": "$inventory_item_stride", "weekday": 0}},
         "doc": "weekly (Monday) quantity on hand of every 2nd item in every warehouse",
         "columns": [C("inv_date_sk", I64, fn("date_sk")), C("inv_item_sk", I64, fn("loc", field="item")),
                     C("inv_warehouse_sk", I64, fn("loc", field="warehouse")),
                     C("inv_quantity_on_hand", I32, fn("inventory_qty", max_qty=1000, stockout=0.03))]},
    ],
    "distributions": DISTRIBUTIONS,
})
