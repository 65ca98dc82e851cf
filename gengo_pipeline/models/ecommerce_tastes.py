"""ecommerce: who buys what, where, when and together - the data behind a line's category.

A line's category is drawn by `choice_factors` (a log-linear model): a base popularity times one factor per
customer trait and time, each raised to a strength parameter (0 turns it off):

- region (the customer's home region: four US Census regions, then a country): e.g. automotive in Germany and
  the US Midwest, beauty in France, books in the UK, sports in the US West and Australia;
- age band at the order (18-24, 25-34, 35-49, 50-64, 65+) and sex;
- holidays by calendar month, the same everywhere: toys and electronics in November/December, books and
  electronics at back-to-school (August/September), beauty for Valentine's and Mother's Day;
- climate by region and month: garden & outdoor and outdoor sports in spring and summer, winter clothing and
  cold-and-flu health products in winter, with seasons six months apart in Australia and flatter where it is
  hot (US South, Mexico);
- basket coherence: a line after the first multiplies by the affinity of the order's first category
  (`AFFINITY`: the same category 4x, related ones 1.3-2x), so an order's lines hang together.

Then the product is drawn by popularity among the products of that category (`ref_in_group`), and the
quantity by category (groceries by the several, electronics one). All multipliers are relative: 1 is the
national average.
"""
from __future__ import annotations

CATEGORIES = ["Electronics", "Clothing", "Home Goods", "Books", "Sports", "Toys", "Grocery", "Automotive", "Health", "Beauty",
              "Garden & Outdoor"]
# products per category (slots of 100 in dim_products.category_id's layout) and lines per category (base weights)
PRODUCT_SHARES = [13, 15, 12, 8, 8, 8, 10, 6, 8, 7, 5]
LINE_SHARES = [12, 16, 11, 8, 8, 7, 14, 5, 8, 8, 3]

REGIONS = ["US Northeast", "US Midwest", "US South", "US West", "Canada", "United Kingdom", "Germany", "France", "Australia",
           "Mexico"]
CLIMATE = {"US Northeast": "cold", "US Midwest": "cold", "US South": "hot", "US West": "mild", "Canada": "cold",
           "United Kingdom": "mild", "Germany": "cold", "France": "mild", "Australia": "mild", "Mexico": "hot"}
SOUTHERN = {"Australia"}


def _row(**mult: float) -> list[float]:
    """Multipliers per category (keyword = the first word of the category, lower case), 1 elsewhere."""
    keys = [c.split()[0].lower() for c in CATEGORIES]
    unknown = set(mult) - set(keys)
    if unknown:
        raise KeyError(f"unknown categories {unknown}")
    return [float(mult.get(k, 1.0)) for k in keys]


REGION_TASTE = {
    "US Northeast": _row(books=1.3, clothing=1.2, beauty=1.15, home=1.1, sports=0.85, garden=0.7, automotive=0.75),
    "US Midwest": _row(automotive=1.5, garden=1.3, grocery=1.15, home=1.15, books=0.85, beauty=0.85),
    "US South": _row(sports=1.2, garden=1.3, beauty=1.15, health=1.15, automotive=1.2, clothing=0.85, books=0.85),
    "US West": _row(electronics=1.45, sports=1.4, health=1.2, books=1.15, automotive=0.8, grocery=0.85),
    "Canada": _row(sports=1.35, clothing=1.3, home=1.15, garden=0.7, beauty=0.85),
    "United Kingdom": _row(books=1.7, home=1.3, garden=1.4, automotive=0.6, electronics=0.85),
    "Germany": _row(automotive=1.9, electronics=1.35, books=1.25, beauty=0.75, grocery=0.75, toys=0.85),
    "France": _row(beauty=2.0, grocery=1.45, clothing=1.3, books=1.15, automotive=0.75, sports=0.85),
    "Australia": _row(sports=1.7, garden=1.3, health=1.25, beauty=1.1, clothing=0.85, automotive=0.85),
    "Mexico": _row(electronics=1.5, toys=1.45, clothing=1.3, books=0.55, garden=0.75),
}
# age band at sign-up: share of customers, first age and span in years (uniform within)
AGE_BANDS = [["18-24", 14, 18, 7], ["25-34", 24, 25, 10], ["35-49", 30, 35, 15], ["50-64", 20, 50, 15], ["65+", 12, 65, 20]]
SEXES = [["F", 51], ["M", 49]]
AGE_TASTE = [
    _row(electronics=1.3, clothing=1.45, beauty=1.3, sports=1.2, home=0.6, garden=0.4, health=0.6, toys=0.5, grocery=0.8, automotive=0.8),
    _row(electronics=1.2, clothing=1.2, toys=1.3, sports=1.1, beauty=1.1, garden=0.7),
    _row(toys=1.45, home=1.2, grocery=1.1, automotive=1.1),
    _row(home=1.2, garden=1.5, health=1.3, books=1.2, automotive=1.2, clothing=0.8, electronics=0.9, toys=0.8, beauty=0.9),
    _row(health=1.8, books=1.5, garden=1.6, home=1.1, grocery=1.1, electronics=0.6, clothing=0.7, beauty=0.7, sports=0.5, toys=0.9),
]
SEX_TASTE = [
    _row(beauty=2.0, clothing=1.3, home=1.2, health=1.1, toys=1.1, books=1.1, electronics=0.7, automotive=0.5, sports=0.8, garden=0.9),
    _row(beauty=0.4, clothing=0.8, home=0.85, electronics=1.4, automotive=1.8, sports=1.3, garden=1.1, books=0.9),
]
# calendar holidays, by month 1..12 (the same in both hemispheres: Christmas is in December in Sydney too)
HOLIDAYS = {
    "electronics": [0.9, 0.85, 0.9, 0.9, 0.9, 0.95, 1.0, 1.15, 1.1, 1.0, 1.4, 1.8],
    "toys": [0.6, 0.7, 0.8, 0.85, 0.85, 0.9, 0.9, 0.9, 0.9, 1.0, 1.6, 2.6],
    "books": [1.1, 1.0, 0.95, 0.95, 0.9, 0.9, 0.95, 1.45, 1.4, 1.0, 1.0, 1.2],
    "grocery": [1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.2],
    "beauty": [0.9, 1.25, 0.95, 1.0, 1.25, 0.95, 0.9, 0.9, 0.95, 1.0, 1.05, 1.3],
    "home": [1.1, 0.95, 1.0, 1.1, 1.0, 0.95, 0.95, 1.0, 1.0, 1.0, 1.1, 1.2],
    "automotive": [1.0, 0.95, 1.0, 1.0, 1.0, 1.1, 1.05, 1.0, 1.0, 1.1, 1.2, 1.0],
}
# climate seasons, by local month 1..12 in the northern hemisphere (shifted six months in the southern one)
SEASONS = {
    "garden": {"cold": [0.2, 0.3, 0.8, 2.0, 3.0, 2.6, 1.8, 1.2, 0.8, 0.4, 0.2, 0.2],
               "mild": [0.5, 0.7, 1.3, 2.0, 2.2, 1.9, 1.5, 1.2, 1.0, 0.7, 0.5, 0.5],
               "hot": [0.9, 1.1, 1.4, 1.5, 1.4, 1.1, 0.9, 0.9, 1.1, 1.2, 1.0, 0.9]},
    "sports": {"cold": [1.2, 0.9, 1.0, 1.2, 1.4, 1.5, 1.5, 1.3, 1.1, 0.9, 0.8, 0.9],
               "mild": [1.2, 1.0, 1.05, 1.1, 1.2, 1.3, 1.3, 1.2, 1.1, 1.0, 0.9, 0.9],
               "hot": [1.2, 1.1, 1.2, 1.1, 1.0, 0.9, 0.9, 1.0, 1.1, 1.1, 1.0, 1.0]},
    "clothing": {"cold": [1.5, 1.3, 1.0, 0.9, 0.9, 0.8, 0.8, 0.9, 1.1, 1.2, 1.4, 1.6],
                 "mild": [1.2, 1.1, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.05, 1.1, 1.2, 1.3],
                 "hot": [1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05]},
    "health": {"cold": [1.4, 1.3, 1.1, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.1, 1.3],
               "mild": [1.3, 1.2, 1.05, 1.0, 0.9, 0.85, 0.85, 0.9, 0.95, 1.0, 1.1, 1.2],
               "hot": [1.1, 1.05, 1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.05]},
}
# basket coherence: a later line's multiplier given the order's first category (rows) - the same 4x, related 1.3-2x
_RELATED = {
    "electronics": dict(toys=1.3, automotive=1.3, home=1.2),
    "clothing": dict(beauty=1.8, sports=1.5),
    "home": dict(garden=2.0, grocery=1.3, books=1.1),
    "books": dict(toys=1.5, home=1.1),
    "sports": dict(clothing=1.8, health=1.6, garden=1.4),
    "toys": dict(books=1.6, electronics=1.3, clothing=1.2),
    "grocery": dict(health=1.5, home=1.5, beauty=1.2),
    "automotive": dict(electronics=1.4, garden=1.2),
    "health": dict(beauty=2.0, grocery=1.5, sports=1.3),
    "beauty": dict(health=2.0, clothing=1.8),
    "garden": dict(home=2.0, sports=1.2, automotive=1.1),
}
SAME_CATEGORY = 4.0
# quantity by category: groceries by the several, electronics one at a time
QUANTITIES = {
    "electronics": [[1, 90], [2, 8], [3, 2]],
    "clothing": [[1, 60], [2, 25], [3, 10], [4, 5]],
    "home": [[1, 70], [2, 20], [3, 6], [4, 4]],
    "books": [[1, 75], [2, 17], [3, 6], [4, 2]],
    "sports": [[1, 75], [2, 18], [3, 5], [4, 2]],
    "toys": [[1, 65], [2, 25], [3, 7], [4, 3]],
    "grocery": [[1, 25], [2, 25], [3, 18], [4, 12], [5, 8], [6, 6], [8, 4], [10, 2]],
    "automotive": [[1, 80], [2, 15], [4, 5]],
    "health": [[1, 55], [2, 25], [3, 12], [4, 8]],
    "beauty": [[1, 55], [2, 28], [3, 12], [4, 5]],
    "garden": [[1, 70], [2, 18], [3, 7], [4, 5]],
}
# promotion peaks (flow-volume peak syntax: month, day (0 = Black Friday), multiplier, half-width in days): how much
# likelier a discount is; lines of days with a factor >= DEEP_AT also get deeper discounts
PROMO_PEAKS = [[11, 0, 2.5, 2.0], [12, 6, 1.6, 3.0], [7, 16, 1.8, 1.0]]
DEEP_AT = 1.5
DISCOUNT_RATES = [[5, 20], [10, 30], [15, 18], [20, 14], [25, 8], [30, 5], [40, 3], [50, 2]]
DEEP_DISCOUNT_RATES = [[10, 10], [15, 15], [20, 25], [25, 20], [30, 15], [40, 10], [50, 5]]


def _key(name: str) -> int:
    return [c.split()[0].lower() for c in CATEGORIES].index(name)


def category_values(shares: list[int]) -> list[list[int]]:
    return [[i + 1, w] for i, w in enumerate(shares)]


def season_table() -> dict[str, list[float]]:
    """(region | month) -> multipliers: holidays times the region's climate season (hemisphere-shifted)."""
    out = {}
    for region in REGIONS:
        shift = 6 if region in SOUTHERN else 0
        for month in range(1, 13):
            row = [1.0] * len(CATEGORIES)
            for name, by_month in HOLIDAYS.items():
                row[_key(name)] *= by_month[month - 1]
            local = (month - 1 + shift) % 12
            for name, by_climate in SEASONS.items():
                row[_key(name)] *= by_climate[CLIMATE[region]][local]
            out[f"{region}|{month}"] = [round(x, 6) for x in row]
    return out


def affinity_table() -> dict[str, list[float]]:
    out = {}
    for name, related in _RELATED.items():
        row = _row(**related)
        row[_key(name)] = SAME_CATEGORY
        out[str(_key(name) + 1)] = row
    return out


def taste_factors(region: str, age_band: str, sex: str, month: str) -> list[dict]:
    """The choice_factors factors of a line's category, by the columns holding the traits (labels)."""
    return [
        {"by": region, "strength": "$region_strength", "table": REGION_TASTE},
        {"by": age_band, "strength": "$age_strength", "table": {band[0]: t for band, t in zip(AGE_BANDS, AGE_TASTE)}},
        {"by": sex, "strength": "$sex_strength", "table": {sex_[0]: t for sex_, t in zip(SEXES, SEX_TASTE)}},
        {"by": [region, month], "strength": "$season_strength", "table": season_table()},
    ]


def choice_by_table(by: str, options: dict[str, list], **extra) -> dict:
    """A choice_factors generator equal to choice_by(`by`, options): the union of the values, each option's
    weights as the factor of its key (equal-width tables draw faster than choice_by's ragged ones)."""
    values = sorted({v for opts in options.values() for v, _ in opts})
    table = {key: [float(dict(map(tuple, opts)).get(v, 0.0)) for v in values] for key, opts in options.items()}
    return {"kind": "choice_factors", "values": values, "factors": [{"by": by, "table": table}], **extra}


def quantity_choice(by: str) -> dict:
    return choice_by_table(by, {str(_key(name) + 1): q for name, q in QUANTITIES.items()})


def discount_choice(by: str, where: str) -> dict:
    """The discount in percent of the lines where `where` holds, by `by` (1 on deep-discount days), else 0."""
    return choice_by_table(by, {"0": DISCOUNT_RATES, "1": DEEP_DISCOUNT_RATES}, where=where)


def black_friday_sql(day: str) -> str:
    """DuckDB: the Black Friday (the day after the 4th Thursday of November) of the year of `day`."""
    nov1 = f"make_date(year({day}), 11, 1)"
    return f"({nov1} + CAST((4 - isodow({nov1}) + 7) % 7 + 22 AS INTEGER))"


def peak_days_sql(day: str, peaks: list, reach: float) -> str:
    """DuckDB: `day` lies within `reach` half-widths of one of the `peaks` (flow-volume peak syntax)."""
    terms = []
    for month, dom, _, width in peaks:
        centre = black_friday_sql(day) if dom == 0 else f"make_date(year({day}), {month}, {dom})"
        terms.append(f"abs(datediff('day', {centre}, {day})) <= {int(reach * width)}")
    return "(" + " OR ".join(terms) + ")"
