"""ecommerce: customers, their addresses, suppliers, categories, products, orders and order items.

Every table keeps the Go original's names and columns, with the fixes of shared/spec/models.md. The
distributions this model claims are listed in `distributions` below and checked by the validation suite.

Correlations, all computed from keys (no table is read back, any day alone):
- a customer's home region and time zone come from its slot in a seeded layout of (region, time zone) groups
  (dim_customers.zone, weighted by the country shares and population), its home city within the group, its
  addresses in the home city's state; age and sex from its own columns;
- an order's UTC time follows the evening-peaked hour curve in the local time of the zones' customers
  (DST included), then the order's zone is drawn given that time and the customer within the zone
  (`ref_in_group`): popularity, a first-weeks burst after sign-up and churn after a per-customer lifetime;
- a line's category depends on the customer (region, age band, sex), the month and climate, and the order's
  first category (ecommerce_tastes.py); the product is drawn by popularity within the category, the quantity by
  category; discounts are likelier and deeper on promotion peaks (Black Friday, early December, mid July).
"""
from __future__ import annotations

from ..engine.spec import Model
from . import ecommerce_tastes as tastes
from .ecommerce_tastes import CATEGORIES

# Median list price by category (log-normal, USD): electronics dearer than books.
PRICE_MEDIANS = {"1": 120.0, "2": 35.0, "3": 45.0, "4": 15.0, "5": 40.0, "6": 25.0, "7": 8.0, "8": 60.0, "9": 18.0, "10": 22.0,
                 "11": 30.0}
NOUNS = {
    "1": ["Headphones", "Earbuds", "Monitor", "Keyboard", "Mouse", "Webcam", "Speaker", "Charger", "Tablet", "Smartwatch", "Router", "SSD", "Power Bank", "Camera", "Drone"],
    "2": ["T-Shirt", "Hoodie", "Jeans", "Jacket", "Sneakers", "Dress", "Socks", "Scarf", "Beanie", "Shorts", "Sweater", "Boots"],
    "3": ["Lamp", "Blanket", "Pillow", "Cookware Set", "Knife Block", "Towel Set", "Vase", "Rug", "Curtains", "Storage Bin", "Mug Set", "Candle"],
    "4": ["Novel", "Cookbook", "Biography", "Atlas", "Notebook", "Guide", "Anthology", "Workbook", "Comic", "Journal"],
    "5": ["Yoga Mat", "Dumbbells", "Tennis Racket", "Water Bottle", "Running Shorts", "Bike Helmet", "Football", "Jump Rope", "Tent", "Backpack"],
    "6": ["Puzzle", "Building Blocks", "Doll", "Board Game", "RC Car", "Plush Bear", "Kite", "Train Set", "Art Kit", "Card Game"],
    "7": ["Coffee Beans", "Olive Oil", "Granola", "Green Tea", "Pasta", "Honey", "Dark Chocolate", "Almonds", "Hot Sauce", "Rice"],
    "8": ["Wiper Blades", "Car Charger", "Floor Mats", "Tire Inflator", "Dash Cam", "Seat Cover", "Jump Starter", "Wax Kit", "Phone Mount"],
    "9": ["Vitamins", "First Aid Kit", "Thermometer", "Face Masks", "Protein Powder", "Heating Pad", "Pill Organizer", "Toothbrush"],
    "10": ["Shampoo", "Moisturizer", "Lipstick", "Perfume", "Face Serum", "Hair Dryer", "Nail Polish", "Sunscreen", "Body Lotion"],
    "11": ["Garden Hose", "Planter", "Grill", "Patio Chair", "Pruning Shears", "Bird Feeder", "Sprinkler", "Seed Kit", "Hammock",
           "Cooler", "Solar Lights", "Fire Pit"],
}
COUNTRY_SHARES = {"United States": "$share_us", "Canada": "$share_canada", "United Kingdom": "$share_uk", "Germany": "$share_germany",
                  "France": "$share_france", "Australia": "$share_australia", "Mexico": "$share_mexico"}
HOURS = [0.35, 0.2, 0.12, 0.08, 0.08, 0.15, 0.35, 0.65, 0.95, 1.1, 1.2, 1.3, 1.4, 1.3, 1.25, 1.2, 1.2, 1.3, 1.5, 1.75, 1.85, 1.7,
         1.2, 0.7]  # local hour of day
ORDERS = "fact_orders_header"
ITEMS = "fact_order_items"
CUSTOMERS = "dim_customers"
ADDRESSES = "dim_customer_addresses"
PRODUCTS = "dim_products"
CITY = "world_cities"
TASTES = tastes.taste_factors("region", "age_band", "sex", "month")
# joins of the correlation claims (quality/distributions.py): s is the claim's table
SHIP_TO = {"table": ADDRESSES, "as": "a", "on": "a.address_id = s.shipping_address_id"}
ORDER_OF_LINE = {"table": ORDERS, "as": "o", "on": "o.order_id = s.order_id", "same_days": True}
SHIP_TO_OF_LINE = {"table": ADDRESSES, "as": "a", "on": "a.address_id = o.shipping_address_id"}
CUSTOMER_OF_LINE = {"table": CUSTOMERS, "as": "c", "on": "c.customer_id = o.customer_id"}
PRODUCT_OF_LINE = {"table": PRODUCTS, "as": "p", "on": "p.product_id = s.product_id"}
CATEGORY_OF_LINE = [PRODUCT_OF_LINE, {"table": "dim_product_categories", "as": "k", "on": "k.category_id = p.category_id"}]
AGE_BAND_SQL = "CASE " + " ".join(f"WHEN (c.signup_date - c.birth_date) < {round(b[2] * 365.25 + b[3] * 365.25)} THEN '{b[0]}'"
                                  for b in tastes.AGE_BANDS[:-1]) + f" ELSE '{tastes.AGE_BANDS[-1][0]}' END"


def category_claim(name: str, x: str, x_label: str, joins: list[dict], doc: str, **args) -> dict:
    """An `association` claim between the SQL expression `x` and a line's category."""
    return {"name": name, "table": ITEMS, "check": "association", "doc": doc,
            "args": {"x": x, "y": "k.category_name", "x_label": x_label, "y_label": "category", "joins": [*joins, *CATEGORY_OF_LINE], **args}}


BLACK_FRIDAY_WEEKEND = f"s.date BETWEEN {tastes.black_friday_sql('s.date')} AND {tastes.black_friday_sql('s.date')} + 3"
OFF_PEAK = f"NOT {tastes.peak_days_sql('s.date', tastes.PROMO_PEAKS, 4)}"
ADJECTIVES = ["Classic", "Premium", "Eco", "Smart", "Compact", "Deluxe", "Ultra", "Essential", "Pro", "Vintage", "Modern",
              "Portable", "Organic", "Wireless", "Ergonomic", "Lightweight", "Heavy-Duty", "Everyday", "Signature", "Basic"]
STREETS = ["Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut", "Sunset", "Lincoln",
           "Jackson", "Church", "Highland", "Spring", "Mill", "River", "Center", "Forest", "Madison", "Franklin", "Jefferson",
           "Willow", "Meadow", "Ridge", "Chestnut", "Adams", "Cherry", "Birch", "Dogwood", "Hickory", "Laurel", "Magnolia",
           "Jones", "Smith", "Lakeview", "Valley", "Broad", "Market", "Water", "Union", "Prospect", "Grove", "Railroad",
           "Summit", "Ash", "Poplar", "College"]

MODEL = Model.model_validate({
    "name": "ecommerce",
    "aliases": ["ecom", "e", "e-commerce"],
    "schema_version": 2,
    "sizing_table": "fact_order_items",
    "doc": "A 3NF online shop: customers with addresses, suppliers, products by category, orders and their items.",
    "params": {
        "orders_per_day": 1000.0,         # base rate at scale 1 (the planner scales it)
        "growth_per_year": 0.15,
        "initial_customers": 5000.0, "new_customers_per_day": 40.0,
        "initial_suppliers": 40.0, "new_suppliers_per_day": 0.05,
        "initial_products": 1500.0, "new_products_per_day": 3.0,
        "customer_skew": 0.5,             # order weight ~ rank^-skew: the top 1% of customers place ~10% of orders
        "product_skew": 0.6,
        "supplier_skew": 0.3,
        "discount_share": 0.3,            # share of order lines with a discount (off the promotion peaks)
        "price_sigma": 0.7,
        # who buys what (ecommerce_tastes.py): each factor's multipliers are raised to its strength (0: off)
        "region_strength": 1.0, "age_strength": 1.0, "sex_strength": 1.0, "season_strength": 1.0, "basket_strength": 1.0,
        # customer lifecycle: a new customer's first-weeks rate (x regular), one-time buyers, lifetime of the others
        "new_customer_burst": 5.0, "one_time_share": 0.35, "mean_lifetime_days": 540.0,
        # country mix of customer addresses (weights; real cities with matching state/region and postal codes)
        "share_us": 90.0, "share_canada": 3.0, "share_uk": 2.5, "share_germany": 1.5, "share_france": 1.0,
        "share_australia": 1.0, "share_mexico": 1.0,
        # change data (docs/model-guide.md, "Changes"): mean days between a row's changes, deletes and their timing
        "email_change_days": 720.0, "move_days": 1100.0, "price_change_days": 90.0,
        "product_delete_share": 0.15, "product_life_days": 720.0, "supplier_delete_share": 0.25, "supplier_life_days": 900.0,
    },
    # ranges of the parameters that are not plain counts or weights (those range over 0..1e9)
    "param_ranges": {"growth_per_year": (-0.9, 10.0), "discount_share": (0.0, 1.0), "price_sigma": (0.0, 5.0),
                     "customer_skew": (0.0, 0.99), "product_skew": (0.0, 0.99), "supplier_skew": (0.0, 0.99),
                     "one_time_share": (0.0, 1.0), "email_change_days": (2.0, 36600.0), "move_days": (2.0, 36600.0),
                     "price_change_days": (2.0, 36600.0), "product_delete_share": (0.0, 1.0), "product_life_days": (1.0, 36600.0),
                     "supplier_delete_share": (0.0, 1.0), "supplier_life_days": (1.0, 36600.0)},
    "vocab": {
        "streets": STREETS,
        "street_types": [["St", 30], ["Ave", 20], ["Rd", 15], ["Dr", 12], ["Ln", 8], ["Blvd", 5], ["Ct", 5], ["Way", 5]],
        "email_domains": [["gmail.com", 45], ["yahoo.com", 12], ["outlook.com", 10], ["hotmail.com", 8], ["icloud.com", 8],
                          ["aol.com", 3], ["comcast.net", 3], ["protonmail.com", 2], ["hey.com", 1]],
        "company_suffixes": ["Trading Co.", "Industries", "Manufacturing", "Supply", "& Sons", "Group", "Ltd.", "Imports",
                             "Goods", "Wholesale", "Brothers", "Partners"],
        "adjectives": ADJECTIVES,
    },
    "tables": [
        {
            "name": "dim_product_categories", "partitioned": False, "key": "category_id",
            "volume": {"kind": "static", "rows": len(CATEGORIES)},
            "columns": [
                {"name": "category_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "category_name", "type": "string", "gen": {"kind": "cycle", "values": CATEGORIES}},
            ],
        },
        {
            "name": "dim_suppliers", "key": "supplier_id",
            "volume": {"kind": "population", "initial": "$initial_suppliers", "daily": "$new_suppliers_per_day"},
            "doc": "suppliers churn: a share is deleted (dim_suppliers_changes); products launched later never name them",
            "changes": {"delete_share": "$supplier_delete_share", "delete_after_days": "$supplier_life_days"},
            "columns": [
                {"name": "supplier_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "surname", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "last_names"}},
                {"name": "suffix", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "company_suffixes"}},
                {"name": "supplier_name", "type": "string", "gen": {"kind": "template", "format": "{surname} {suffix}"}},
                {"name": "country", "type": "string", "gen": {"kind": "choice", "values": [
                    ["China", 34], ["United States", 22], ["Germany", 7], ["Vietnam", 6], ["India", 6], ["Mexico", 5],
                    ["Japan", 4], ["Italy", 4], ["South Korea", 3], ["Taiwan", 3], ["United Kingdom", 2], ["Canada", 2],
                    ["Turkey", 1], ["Poland", 1]]}},
                {"name": "onboarded_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": PRODUCTS, "key": "product_id",
            "volume": {"kind": "population", "initial": "$initial_products", "daily": "$new_products_per_day"},
            "doc": "products are repriced (-10%..+15% of the list price) and some discontinued; order lines carry the price of "
                   "their time and never a product discontinued by that day",
            "changes": {"updates": [{"name": "reprice", "columns": ["price_move"], "every_days": "$price_change_days"}],
                        "delete_share": "$product_delete_share", "delete_after_days": "$product_life_days"},
            "columns": [
                {"name": "product_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "supplier_id", "type": "int64", "gen": {"kind": "ref", "table": "dim_suppliers", "skew": "$supplier_skew"}},
                {"name": "category_id", "type": "int64", "doc": "a seeded layout: each block of 100 products holds the category shares exactly",
                 "gen": {"kind": "layout", "values": tastes.category_values(tastes.PRODUCT_SHARES), "slots": 100}},
                {"name": "adjective", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "adjectives"}},
                {"name": "noun", "type": "string", "hidden": True, "gen": {"kind": "choice_by", "by": "category_id", "options": NOUNS}},
                {"name": "product_name", "type": "string", "gen": {"kind": "template", "format": "{adjective} {noun}"}},
                {"name": "list_price", "type": "money", "hidden": True, "gen": {
                    "kind": "lognormal_money", "by": "category_id", "medians": PRICE_MEDIANS, "sigma": "$price_sigma",
                    "min": 0.99, "max": 4999.99, "normal": "table"}},
                {"name": "price_move", "type": "float64", "hidden": True, "doc": "percent off or above the list price; drawn anew at each reprice",
                 "gen": {"kind": "uniform", "low": -10, "high": 15}},
                {"name": "base_price", "type": "money", "doc": "the list price moved by price_move percent",
                 "gen": {"kind": "derive", "expr": "(list_price * (100 + price_move) + 50) // 100"}},
                {"name": "launch_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": CUSTOMERS, "key": "customer_id",
            "volume": {"kind": "population", "initial": "$initial_customers", "daily": "$new_customers_per_day",
                       "weekday": [1.0, 1.0, 1.0, 1.0, 0.95, 1.1, 1.15]},
            "doc": "customers change e-mail (a new provider) now and then",
            "changes": {"updates": [{"name": "new_email", "columns": ["domain"], "every_days": "$email_change_days"}]},
            "columns": [
                {"name": "customer_id", "type": "int64", "gen": {"kind": "key"}},
                # the customer's segment by its slot: (region, time zone) of its home, sex and age band at sign-up
                {"name": "segment", "type": "string", "hidden": True, "gen": {
                    "kind": "vocab_layout", "name": CITY, "fields": ["region", "time_zone"], "weight_by": "country",
                    "weights": COUNTRY_SHARES, "times": [tastes.SEXES, [b[:2] for b in tastes.AGE_BANDS]], "slots": 100000}},
                {"name": "home_zone", "type": "string", "hidden": True, "gen": {"kind": "label_part", "of": "segment", "parts": [0, 1]}},
                {"name": "home_place", "type": "int64", "hidden": True, "gen": {
                    "kind": "vocab_index", "name": CITY, "where_field": ["region", "time_zone"], "where_column": "home_zone"}},
                {"name": "sex", "type": "string", "hidden": True, "gen": {"kind": "label_part", "of": "segment", "parts": [2]}},
                {"name": "age_band", "type": "string", "hidden": True, "gen": {"kind": "label_part", "of": "segment", "parts": [3]}},
                {"name": "first_name", "type": "string", "gen": {"kind": "vocab", "name": "first_names", "where_field": "sex", "where_column": "sex"}},
                {"name": "last_name", "type": "string", "gen": {"kind": "vocab", "name": "last_names"}},
                {"name": "domain", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "email_domains"}},
                {"name": "email", "type": "string", "doc": "unique: it embeds the customer_id", "gen": {
                    "kind": "template", "format": "{first_name}.{last_name}{customer_id}@{domain}", "lower": True, "strip_spaces": True}},
                {"name": "signup_date", "type": "date", "gen": {"kind": "day_date"}},
                {"name": "gender", "type": "string", "gen": {"kind": "choice_by", "by": "sex", "options": {"F": ["female"], "M": ["male"]}}},
                {"name": "age_from", "type": "int64", "hidden": True, "gen": {"kind": "choice_by", "by": "age_band", "options": {
                    b[0]: [b[2]] for b in tastes.AGE_BANDS}}},
                {"name": "age_span", "type": "int64", "hidden": True, "gen": {"kind": "choice_by", "by": "age_band", "options": {
                    b[0]: [b[3]] for b in tastes.AGE_BANDS}}},
                {"name": "age_u", "type": "float64", "hidden": True, "gen": {"kind": "uniform"}},
                {"name": "birth_date", "type": "date", "gen": {"kind": "derive", "expr": "epoch_day - int((age_from + age_span * age_u) * 365.25)"}},
            ],
        },
        {
            "name": ADDRESSES, "key": "address_id",
            "doc": "1-3 addresses per customer (blocks of 4 customers share 8 addresses), roles covering shipping and billing, "
                   "in the state of the customer's home city.",
            "volume": {"kind": "per_parent", "parent": CUSTOMERS, "block": 4, "total": 8, "min": 1, "max": 3, "pmf": [0.35, 0.4, 0.25]},
            "changes": {"updates": [{"name": "move", "columns": ["house_number", "street_name", "street_type"], "every_days": "$move_days"}]},
            "columns": [
                {"name": "address_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "customer_id", "type": "int64", "gen": {"kind": "parent_key"}},
                {"name": "address_type", "type": "string", "gen": {"kind": "by_slot", "patterns": {
                    "1": [[1, ["both"]]],
                    "2": [[0.6, ["both", "shipping"]], [0.4, ["shipping", "billing"]]],
                    "3": [[0.5, ["both", "shipping", "shipping"]], [0.5, ["shipping", "billing", "shipping"]]]}}},
                {"name": "house_number", "type": "int64", "hidden": True, "gen": {"kind": "uniform_int", "low": 1, "high": 9999}},
                {"name": "street_name", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "streets"}},
                {"name": "street_type", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "street_types"}},
                {"name": "address", "type": "string", "gen": {"kind": "template", "format": "{house_number} {street_name} {street_type}"}},
                {"name": "home_place", "type": "int64", "hidden": True, "gen": {"kind": "parent_attr", "column": "home_place"}},
                {"name": "place", "type": "int64", "hidden": True, "gen": {"kind": "vocab_near", "name": CITY, "of": "home_place", "same": ["country", "state"]}},
                {"name": "city", "type": "string", "gen": {"kind": "vocab_field", "name": CITY, "field": "city", "of": "place"}},
                {"name": "state", "type": "string", "gen": {"kind": "vocab_field", "name": CITY, "field": "state", "of": "place"}},
                {"name": "zip", "type": "string", "gen": {"kind": "vocab_nested", "name": CITY, "field": "zips", "of": "place"}},
                {"name": "country", "type": "string", "doc": "the customer's; mix set by the share_* parameters",
                 "gen": {"kind": "vocab_field", "name": CITY, "field": "country", "of": "place"}},
                {"name": "region", "type": "string", "doc": "sales region: US Census region in the US, else the country",
                 "gen": {"kind": "vocab_field", "name": CITY, "field": "region", "of": "place"}},
                {"name": "time_zone", "type": "string", "doc": "IANA time zone of the state", "gen": {"kind": "vocab_field", "name": CITY, "field": "time_zone", "of": "place"}},
            ],
        },
        {
            "name": ORDERS, "key": "order_id",
            "volume": {
                "kind": "flow", "rate": "$orders_per_day", "growth_per_year": "$growth_per_year", "noise": 0.04,
                "weekday": [1.04, 1.0, 0.98, 0.98, 0.95, 0.92, 1.13],
                "seasonality": {"monthly": [0.88, 0.82, 0.9, 0.93, 0.97, 0.95, 1.0, 0.98, 0.95, 1.0, 1.12, 1.45],
                                "peaks": [[11, 0, 2.4, 1.2], [12, 2, 1.6, 1.0], [7, 16, 1.5, 1.0]]},
            },
            "columns": [
                {"name": "order_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "customer_id", "type": "int64", "doc": "a customer of the order's segment: popularity, first-weeks burst, churn",
                 "gen": {"kind": "ref_cohort", "table": CUSTOMERS, "by": "segment", "group": "segment", "skew": "$customer_skew",
                         "burst": "$new_customer_burst", "burst_days": 7, "one_time_share": "$one_time_share", "one_time_days": 30,
                         "lifetime_days": "$mean_lifetime_days"}},
                {"name": "shipping_address_id", "type": "int64", "gen": {
                    "kind": "child_ref", "table": ADDRESSES, "via": "customer_id", "where": {"address_type": ["shipping", "both"]}}},
                {"name": "billing_address_id", "type": "int64", "gen": {
                    "kind": "child_ref", "table": ADDRESSES, "via": "customer_id", "where": {"address_type": ["billing", "both"]}}},
                {"name": "order_timestamp", "type": "timestamp", "doc": "UTC; the local hour (the address's time_zone) peaks at 19-21",
                 "gen": {"kind": "timestamp_zoned", "hours": HOURS, "table": CUSTOMERS, "column": "segment"}},
                {"name": "segment", "type": "string", "hidden": True, "doc": "the customer's segment, drawn given the time (local hours)",
                 "gen": {"kind": "zone_of_time", "timestamp": "order_timestamp"}},
                {"name": "order_status", "type": "string", "doc": "by age at the snapshot date", "gen": {"kind": "status_by_age", "buckets": [
                    [0, [["Pending", 70], ["Processing", 25], ["Cancelled", 5]]],
                    [2, [["Processing", 35], ["Shipped", 55], ["Cancelled", 10]]],
                    [7, [["Shipped", 55], ["Delivered", 38], ["Cancelled", 5], ["Returned", 2]]],
                    [30, [["Delivered", 86], ["Cancelled", 6], ["Returned", 8]]],
                    [1e9, [["Delivered", 88], ["Cancelled", 5], ["Returned", 7]]]]}},
                # the customer's traits and the order's first category, for the order's lines
                {"name": "region", "type": "string", "hidden": True, "gen": {"kind": "label_part", "of": "segment", "parts": [0]}},
                {"name": "sex", "type": "string", "hidden": True, "gen": {"kind": "label_part", "of": "segment", "parts": [2]}},
                {"name": "age_band", "type": "string", "hidden": True, "gen": {"kind": "label_part", "of": "segment", "parts": [3]}},
                {"name": "month", "type": "int64", "hidden": True, "gen": {"kind": "month"}},
                {"name": "first_category", "type": "int64", "hidden": True, "gen": {
                    "kind": "choice_factors", "values": tastes.category_values(tastes.LINE_SHARES), "factors": TASTES}},
            ],
        },
        {
            "name": ITEMS, "key": "order_item_id",
            "doc": "1-8 lines per order, mean 3 (blocks of 4 orders share 12 lines).",
            "volume": {"kind": "per_parent", "parent": ORDERS, "block": 4, "total": 12, "min": 1, "max": 8,
                       "pmf": [0.34, 0.24, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02]},
            "columns": [
                {"name": "order_item_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "order_id", "type": "int64", "gen": {"kind": "parent_key"}},
                {"name": "line", "type": "int64", "hidden": True, "gen": {"kind": "slot"}},
                {"name": "region", "type": "string", "hidden": True, "gen": {"kind": "parent_attr", "column": "region"}},
                {"name": "sex", "type": "string", "hidden": True, "gen": {"kind": "parent_attr", "column": "sex"}},
                {"name": "age_band", "type": "string", "hidden": True, "gen": {"kind": "parent_attr", "column": "age_band"}},
                {"name": "month", "type": "int64", "hidden": True, "gen": {"kind": "month"}},
                {"name": "first_category", "type": "int64", "hidden": True, "doc": "the category of the order's first line",
                 "gen": {"kind": "parent_attr", "column": "first_category"}},
                {"name": "later", "type": "bool", "hidden": True, "gen": {"kind": "derive", "expr": "line > 1"}},
                {"name": "later_category", "type": "int64", "hidden": True, "gen": {
                    "kind": "choice_factors", "values": tastes.category_values(tastes.LINE_SHARES), "where": "later",
                    "factors": [*TASTES, {"by": "first_category", "strength": "$basket_strength", "table": tastes.affinity_table()}]}},
                {"name": "category", "type": "int64", "hidden": True, "gen": {"kind": "derive", "expr": "where(line == 1, first_category, later_category)"}},
                {"name": "product_id", "type": "int64", "doc": "a popular product of the line's category", "gen": {
                    "kind": "ref_in_group", "table": PRODUCTS, "by": "category_id", "group": "category", "skew": "$product_skew"}},
                {"name": "quantity", "type": "int64", "doc": "by category", "gen": tastes.quantity_choice("category")},
                {"name": "ordered_at", "type": "timestamp", "hidden": True, "gen": {"kind": "parent_attr", "column": "order_timestamp"}},
                {"name": "unit_price", "type": "money", "doc": "the product's price when the order was placed (its version then)", "gen": {
                    "kind": "attr", "via": "product_id", "table": PRODUCTS, "column": "base_price", "at": "ordered_at"}},
                {"name": "promo", "type": "float64", "hidden": True, "gen": {"kind": "day_factor", "peaks": tastes.PROMO_PEAKS}},
                {"name": "discounted", "type": "bool", "hidden": True, "gen": {
                    "kind": "bernoulli", "p": "$discount_share", "times": "promo", "max_p": 0.9}},
                {"name": "deep", "type": "int64", "hidden": True, "doc": "1 on deep-discount days",
                 "gen": {"kind": "day_factor", "peaks": tastes.PROMO_PEAKS, "at_least": tastes.DEEP_AT}},
                {"name": "discount", "type": "decimal(4,2)", "doc": "0 on 70% of lines (fewer on promotion peaks), else 0.05-0.50 "
                 "(mode 0.10; deeper on the peaks)", "gen": tastes.discount_choice("deep", where="discounted")},
                {"name": "line_total", "type": "money", "doc": "round(quantity x unit_price x (1 - discount), 2)", "gen": {
                    "kind": "derive", "expr": "(quantity * unit_price * (100 - discount) + 50) // 100"}},
            ],
        },
    ],
    # version 3: the shop adds a mobile app and stops storing last names (see docs/model-guide.md, "Versions")
    "versions": [{"version": 3, "doc": "orders carry their sales channel; customers' last names no longer stored; line_total renamed; wider discounts",
                  "migrations": [
        {"op": "add_column", "table": ORDERS, "after": "order_status", "column": {
            "name": "sales_channel", "type": "string", "doc": "web, app or phone",
            "gen": {"kind": "choice", "values": [["web", 6], ["app", 3], ["phone", 1]]}}},
        {"op": "drop_column", "table": CUSTOMERS, "column": "last_name"},
        {"op": "rename_column", "table": ITEMS, "column": "line_total", "to": "line_amount"},
        {"op": "widen_type", "table": ITEMS, "column": "discount", "type": "decimal(6,2)"},
    ]}],
    "distributions": [
        {"name": "weekday_shape", "table": ORDERS, "check": "weekday_share",
         "args": {"column": "order_timestamp", "weights": [1.04, 1.0, 0.98, 0.98, 0.95, 0.92, 1.13]},
         "doc": "orders per (UTC) weekday follow the declared weekday factors (Sunday busiest, Saturday quietest)"},
        {"name": "december_peak", "table": ORDERS, "check": "month_peak",
         "args": {"column": "order_timestamp", "peak_month": 12}, "doc": "December has the most orders per day of the year"},
        {"name": "local_evening_peak", "table": ORDERS, "check": "peak_hours",
         "args": {"column": "order_timestamp", "hours": [19, 20, 21], "by": "a.country", "time_zone": "a.time_zone",
                  "joins": [SHIP_TO]},
         "doc": "in every country the busiest hour of the day, in the shipping address's time zone, is 19, 20 or 21"},
        {"name": "status_mix", "table": ORDERS, "check": "share",
         "args": {"column": "order_status", "value": "Delivered", "min": 0.5}, "doc": "orders older than a month are mostly Delivered"},
        {"name": "discount_share", "table": ITEMS, "check": "share_nonzero",
         "args": {"column": "discount", "expected": 0.3, "where": f"NOT {tastes.peak_days_sql('date', tastes.PROMO_PEAKS, 4)}"},
         "doc": "30% of order lines carry a discount, off the promotion peaks"},
        {"name": "price_by_category", "table": PRODUCTS, "check": "median_order",
         "args": {"column": "base_price", "by": "category_id", "higher": 1, "lower": 4},
         "doc": "Electronics (1) have a higher median price than Books (4)"},
        {"name": "customer_skew", "table": ORDERS, "check": "top_share",
         "args": {"column": "customer_id", "top_fraction": 0.01, "expected": 0.09, "precision": 0.2},
         "doc": "the top 1% of customers place about 9% of orders"},
        # who buys what: associations with a line's category (Cramér's V) and where the model claims none
        category_claim("category_by_region", "a.region", "region", [ORDER_OF_LINE, SHIP_TO_OF_LINE], min_v=0.02,
                       doc="a line's category depends on the customer's region (shipping address)"),
        category_claim("category_by_month", "month(s.date)", "month", [], min_v=0.03, min_levels=6,
                       doc="a line's category depends on the month (holidays, seasons; needs six months)"),
        category_claim("category_by_sex", "c.gender", "gender", [ORDER_OF_LINE, CUSTOMER_OF_LINE], min_v=0.15,
                       doc="a line's category depends on the customer's sex"),
        category_claim("category_by_age", AGE_BAND_SQL, "age band at sign-up", [ORDER_OF_LINE, CUSTOMER_OF_LINE], min_v=0.05,
                       doc="a line's category depends on the customer's age band at sign-up"),
        {"name": "basket_coherence", "table": ITEMS, "check": "association",
         "args": {"x": "k.category_name", "y": "kn.category_name", "x_label": "category of a line", "y_label": "category of the next line", "min_v": 0.07, "joins": [
             {"table": ITEMS, "as": "n", "on": "n.order_id = s.order_id AND n.order_item_id = s.order_item_id + 1", "same_days": True},
             *CATEGORY_OF_LINE, {"table": PRODUCTS, "as": "pn", "on": "pn.product_id = n.product_id"},
             {"table": "dim_product_categories", "as": "kn", "on": "kn.category_id = pn.category_id"}]},
         "doc": "consecutive lines of one order favour the same and related categories"},
        category_claim("category_not_by_weekday", "isodow(s.date)", "weekday (1 = Monday)", [], max_v=0.01, one_per="s.order_id",
                       doc="no association: the weekday does not change what is bought (first line of each order)"),
        {"name": "toys_in_december", "table": ITEMS, "check": "share_ratio",
         "args": {"condition": "p.category_id = 6", "numerator": "month(s.date) = 12", "denominator": "month(s.date) BETWEEN 2 AND 10",
                  "min_ratio": 1.6, "joins": [PRODUCT_OF_LINE]},
         "doc": "toys' share of lines in December is at least 1.6x their share from February to October"},
        {"name": "garden_in_spring", "table": ITEMS, "check": "share_ratio",
         "args": {"condition": "p.category_id = 11", "numerator": "month(s.date) IN (4, 5, 6) AND a.region <> 'Australia'",
                  "denominator": "month(s.date) IN (11, 12, 1) AND a.region <> 'Australia'", "min_ratio": 2.5,
                  "joins": [ORDER_OF_LINE, SHIP_TO_OF_LINE, PRODUCT_OF_LINE]},
         "doc": "garden & outdoor sells 2.5x as much in northern spring (April-June) as in winter (November-January)"},
        {"name": "books_back_to_school", "table": ITEMS, "check": "share_ratio",
         "args": {"condition": "p.category_id = 4", "numerator": "month(s.date) IN (8, 9)", "denominator": "month(s.date) IN (3, 4, 5, 6)",
                  "min_ratio": 1.2, "joins": [PRODUCT_OF_LINE]},
         "doc": "books sell more at back-to-school (August, September) than in spring"},
        {"name": "grocery_by_the_several", "table": ITEMS, "check": "share_ratio",
         "args": {"condition": "s.quantity >= 3", "numerator": "p.category_id = 7", "denominator": "p.category_id = 1",
                  "min_ratio": 5.0, "joins": [PRODUCT_OF_LINE]},
         "doc": "grocery lines hold 3 or more units at least 5x as often as electronics lines"},
        {"name": "peak_discounts", "table": ITEMS, "check": "share_ratio",
         "args": {"condition": "s.discount > 0", "numerator": BLACK_FRIDAY_WEEKEND, "denominator": OFF_PEAK, "min_ratio": 1.8},
         "doc": "lines carry a discount at least 1.8x as often from Black Friday to Cyber Monday as off the promotion peaks"},
        {"name": "peak_discounts_deeper", "table": ITEMS, "check": "share_ratio",
         "args": {"condition": "s.discount >= 0.25", "where": "s.discount > 0", "numerator": BLACK_FRIDAY_WEEKEND, "denominator": OFF_PEAK,
                  "min_ratio": 1.5},
         "doc": "discounts of 25% or more are at least 1.5x as common among discounted lines from Black Friday to Cyber Monday"},
        {"name": "cohort_retention", "table": CUSTOMERS, "check": "retention",
         "args": {"signup": "signup_date", "event": "o.date", "windows": [[0, 30], [30, 60], [90, 120], [150, 180]],
                  "min_first": 0.8, "min_last": 0.25, "joins": [{"table": ORDERS, "as": "o", "on": "o.customer_id = s.customer_id", "left": True}]},
         "doc": "most new customers order in their first month; fewer each later month (one-time buyers, churn), a core stays"},
    ],
})
