"""ecommerce: customers, their addresses, suppliers, categories, products, orders and order items.

Every table keeps the Go original's names and columns, with the fixes of shared/spec/models.md. The
distributions this model claims are listed in DISTRIBUTIONS below and checked by the validation suite.
"""
from __future__ import annotations

from ..engine.spec import Model

CATEGORIES = ["Electronics", "Clothing", "Home Goods", "Books", "Sports", "Toys", "Grocery", "Automotive", "Health", "Beauty"]
# Median list price by category (log-normal, USD): electronics dearer than books.
PRICE_MEDIANS = {"1": 120.0, "2": 35.0, "3": 45.0, "4": 15.0, "5": 40.0, "6": 25.0, "7": 8.0, "8": 60.0, "9": 18.0, "10": 22.0}
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
}
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
    "schema_version": 1,
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
        "discount_share": 0.3,            # share of order lines with a discount
        "price_sigma": 0.7,
        # country mix of customer addresses (weights; real cities with matching state/region and postal codes)
        "share_us": 90.0, "share_canada": 3.0, "share_uk": 2.5, "share_germany": 1.5, "share_france": 1.0,
        "share_australia": 1.0, "share_mexico": 1.0,
    },
    # ranges of the parameters that are not plain counts or weights (those range over 0..1e9)
    "param_ranges": {"growth_per_year": (-0.9, 10.0), "discount_share": (0.0, 1.0), "price_sigma": (0.0, 5.0),
                     "customer_skew": (0.0, 0.99), "product_skew": (0.0, 0.99), "supplier_skew": (0.0, 0.99)},
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
            "name": "dim_products", "key": "product_id",
            "volume": {"kind": "population", "initial": "$initial_products", "daily": "$new_products_per_day"},
            "columns": [
                {"name": "product_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "supplier_id", "type": "int64", "gen": {"kind": "ref", "table": "dim_suppliers", "skew": "$supplier_skew"}},
                {"name": "category_id", "type": "int64", "gen": {"kind": "choice", "values": [
                    [1, 14], [2, 16], [3, 13], [4, 9], [5, 9], [6, 8], [7, 10], [8, 6], [9, 8], [10, 7]]}},
                {"name": "adjective", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "adjectives"}},
                {"name": "noun", "type": "string", "hidden": True, "gen": {"kind": "choice_by", "by": "category_id", "options": NOUNS}},
                {"name": "product_name", "type": "string", "gen": {"kind": "template", "format": "{adjective} {noun}"}},
                {"name": "base_price", "type": "money", "gen": {
                    "kind": "lognormal_money", "by": "category_id", "medians": PRICE_MEDIANS, "sigma": "$price_sigma",
                    "min": 0.99, "max": 4999.99}},
                {"name": "launch_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": "dim_customers", "key": "customer_id",
            "volume": {"kind": "population", "initial": "$initial_customers", "daily": "$new_customers_per_day",
                       "weekday": [1.0, 1.0, 1.0, 1.0, 0.95, 1.1, 1.15]},
            "columns": [
                {"name": "customer_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "sex", "type": "string", "hidden": True, "gen": {"kind": "choice", "values": [["F", 51], ["M", 49]]}},
                {"name": "first_name", "type": "string", "gen": {"kind": "vocab", "name": "first_names", "where_field": "sex", "where_column": "sex"}},
                {"name": "last_name", "type": "string", "gen": {"kind": "vocab", "name": "last_names"}},
                {"name": "domain", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "email_domains"}},
                {"name": "email", "type": "string", "doc": "unique: it embeds the customer_id", "gen": {
                    "kind": "template", "format": "{first_name}.{last_name}{customer_id}@{domain}", "lower": True, "strip_spaces": True}},
                {"name": "signup_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": "dim_customer_addresses", "key": "address_id",
            "doc": "1-3 addresses per customer (blocks of 4 customers share 8 addresses), roles covering shipping and billing.",
            "volume": {"kind": "per_parent", "parent": "dim_customers", "block": 4, "total": 8, "min": 1, "max": 3, "pmf": [0.35, 0.4, 0.25]},
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
                {"name": "place", "type": "int64", "hidden": True, "gen": {
                    "kind": "vocab_index", "name": "world_cities", "where_field": "country", "where_column": "country"}},
                {"name": "city", "type": "string", "gen": {"kind": "vocab_field", "name": "world_cities", "field": "city", "of": "place"}},
                {"name": "state", "type": "string", "gen": {"kind": "vocab_field", "name": "world_cities", "field": "state", "of": "place"}},
                {"name": "zip", "type": "string", "gen": {"kind": "vocab_nested", "name": "world_cities", "field": "zips", "of": "place"}},
                {"name": "country", "type": "string", "doc": "mix set by the share_* parameters", "gen": {"kind": "choice", "values": [
                    ["United States", "$share_us"], ["Canada", "$share_canada"], ["United Kingdom", "$share_uk"],
                    ["Germany", "$share_germany"], ["France", "$share_france"], ["Australia", "$share_australia"],
                    ["Mexico", "$share_mexico"]]}},
            ],
        },
        {
            "name": "fact_orders_header", "key": "order_id",
            "volume": {
                "kind": "flow", "rate": "$orders_per_day", "growth_per_year": "$growth_per_year", "noise": 0.04,
                "weekday": [1.04, 1.0, 0.98, 0.98, 0.95, 0.92, 1.13],
                "seasonality": {"monthly": [0.88, 0.82, 0.9, 0.93, 0.97, 0.95, 1.0, 0.98, 0.95, 1.0, 1.12, 1.45],
                                "peaks": [[11, 0, 2.4, 1.2], [12, 2, 1.6, 1.0], [7, 16, 1.5, 1.0]]},
            },
            "columns": [
                {"name": "order_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "customer_id", "type": "int64", "gen": {"kind": "ref", "table": "dim_customers", "skew": "$customer_skew"}},
                {"name": "shipping_address_id", "type": "int64", "gen": {
                    "kind": "child_ref", "table": "dim_customer_addresses", "via": "customer_id", "where": {"address_type": ["shipping", "both"]}}},
                {"name": "billing_address_id", "type": "int64", "gen": {
                    "kind": "child_ref", "table": "dim_customer_addresses", "via": "customer_id", "where": {"address_type": ["billing", "both"]}}},
                {"name": "order_timestamp", "type": "timestamp", "gen": {"kind": "timestamp_intraday", "hours": [
                    0.35, 0.2, 0.12, 0.08, 0.08, 0.15, 0.35, 0.65, 0.95, 1.1, 1.2, 1.3, 1.4, 1.3, 1.25, 1.2, 1.2, 1.3, 1.5,
                    1.75, 1.85, 1.7, 1.2, 0.7]}},
                {"name": "order_status", "type": "string", "doc": "by age at the snapshot date", "gen": {"kind": "status_by_age", "buckets": [
                    [0, [["Pending", 70], ["Processing", 25], ["Cancelled", 5]]],
                    [2, [["Processing", 35], ["Shipped", 55], ["Cancelled", 10]]],
                    [7, [["Shipped", 55], ["Delivered", 38], ["Cancelled", 5], ["Returned", 2]]],
                    [30, [["Delivered", 86], ["Cancelled", 6], ["Returned", 8]]],
                    [1e9, [["Delivered", 88], ["Cancelled", 5], ["Returned", 7]]]]}},
            ],
        },
        {
            "name": "fact_order_items", "key": "order_item_id",
            "doc": "1-8 lines per order, mean 3 (blocks of 4 orders share 12 lines).",
            "volume": {"kind": "per_parent", "parent": "fact_orders_header", "block": 4, "total": 12, "min": 1, "max": 8,
                       "pmf": [0.34, 0.24, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02]},
            "columns": [
                {"name": "order_item_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "order_id", "type": "int64", "gen": {"kind": "parent_key"}},
                {"name": "product_id", "type": "int64", "gen": {"kind": "ref", "table": "dim_products", "skew": "$product_skew"}},
                {"name": "quantity", "type": "int64", "gen": {"kind": "choice", "values": [
                    [1, 62], [2, 20], [3, 8], [4, 4], [5, 3], [6, 1.5], [8, 1], [10, 0.5]]}},
                {"name": "unit_price", "type": "money", "doc": "the product's price on the order day", "gen": {
                    "kind": "attr", "via": "product_id", "table": "dim_products", "column": "base_price"}},
                {"name": "discounted", "type": "bool", "hidden": True, "gen": {"kind": "bernoulli", "p": "$discount_share"}},
                {"name": "discount_rate", "type": "int64", "hidden": True, "gen": {"kind": "choice", "values": [
                    [5, 20], [10, 30], [15, 18], [20, 14], [25, 8], [30, 5], [40, 3], [50, 2]]}},
                {"name": "discount", "type": "decimal(4,2)", "doc": "0 on 70% of lines, else 0.05-0.50 (mode 0.10)", "gen": {
                    "kind": "derive", "expr": "where(discounted, discount_rate, 0)"}},
                {"name": "line_total", "type": "money", "doc": "round(quantity x unit_price x (1 - discount), 2)", "gen": {
                    "kind": "derive", "expr": "round(quantity * unit_price * (100 - discount) / 100)"}},
            ],
        },
    ],
    "distributions": [
        {"name": "weekday_shape", "table": "fact_orders_header", "check": "weekday_share",
         "args": {"column": "order_timestamp", "weights": [1.04, 1.0, 0.98, 0.98, 0.95, 0.92, 1.13]},
         "doc": "orders per weekday follow the declared weekday factors (Sunday busiest, Saturday quietest)"},
        {"name": "december_peak", "table": "fact_orders_header", "check": "month_peak",
         "args": {"column": "order_timestamp", "peak_month": 12}, "doc": "December has the most orders per day of the year"},
        {"name": "evening_peak", "table": "fact_orders_header", "check": "hour_share",
         "args": {"column": "order_timestamp", "hours": [18, 19, 20, 21], "min_share": 0.2},
         "doc": "about a quarter of orders fall between 18:00 and 22:00"},
        {"name": "status_mix", "table": "fact_orders_header", "check": "share",
         "args": {"column": "order_status", "value": "Delivered", "min": 0.5}, "doc": "orders older than a month are mostly Delivered"},
        {"name": "discount_share", "table": "fact_order_items", "check": "share_nonzero",
         "args": {"column": "discount", "expected": 0.3}, "doc": "30% of order lines carry a discount"},
        {"name": "price_by_category", "table": "dim_products", "check": "median_order",
         "args": {"column": "base_price", "by": "category_id", "higher": 1, "lower": 4},
         "doc": "Electronics (1) have a higher median price than Books (4)"},
        {"name": "customer_skew", "table": "fact_orders_header", "check": "top_share",
         "args": {"column": "customer_id", "top_fraction": 0.01, "expected": 0.1},
         "doc": "the top 1% of customers place about 10% of orders"},
    ],
})
