"""medical: clinics, their doctors, patients and appointments on clinic working days.

Tables keep the Go original's names and columns (shared/spec/original-gengo.md 2.3) with the fixes of
shared/spec/models.md:

- `dim_clinics`: name, one-line address (+ city, state, zip that agree), opening hours (9 hours from
  07:30, 08:00, 08:30 or 09:00), opening date.
- `dim_doctors`: each works at one clinic (`clinic_id`, bigger clinics get more doctors), specialization
  weighted (General Practice most common), start date.
- `dim_patients`: date of birth (a date), gender (female/male), registration date. Ages follow a census-like
  mix: a patient's age group is `pattern[(patient - 1) % 100]`, a seeded shuffle of 100 slots holding each
  group as often as its weight, so "the j-th patient of group g" is an O(1) formula (no scan).
- `fact_appointments`: rows of day D are doctor-days x appointments. Each live doctor works every clinic
  working day (Mon-Fri except New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving,
  Christmas); blocks of 4 doctor-days hold exactly 44 appointments split by a weighted composition (4..16
  per doctor-day, mean 11), so appointment ids are dense and closed-form (the engine's per-parent blocks).
  A doctor-day's n appointments take n *distinct* slots of the 16 half-hour slots of the clinic's hours
  (a seeded random order of the slots per doctor-day, first n, in time order): no double booking.
  The clinic is the doctor's clinic.

**Patients and clustering.** Appointments pick a *care episode*: time is cut in 28-day windows; the
doctor's specialization picks an age group (pediatrics: children only; cardiology and oncology mostly
50+), the appointment draws one of the window's episodes of that group (about 4 visits per episode), and
the episode maps (keyed by seed, window, group, episode) to a patient registered by the window's first day.
So a patient's visits cluster in time (an episode's visits fall in the same 4 weeks, to one or several
doctors), every patient exists on the visit day (P4), and pediatric patients are children: children are
registered at ages 0-14 and pediatrics only draws those registered less than 3 years (minus a window)
before the visit. The diagnosis is drawn from lists by specialization and the patient's age band at the
visit (child < 18, adult < 65, senior), times a season factor by month (`SEASONAL`: respiratory infections
and influenza in winter, allergies in spring, sprains and skin checks in summer).

**Bookings.** Each appointment was booked `lead` days before (exponential, mean by specialization: a GP a
few days, oncology or dermatology weeks), not before the patient registered or the doctor started. Its
`status` at the snapshot date: Scheduled if later, else No-show or Cancelled with rates that grow with the
lead time (4% and 3% for same-week bookings, about 14% and 16% for bookings months ahead), else Completed.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

from ..engine import rng
from ..engine.alias import AliasGroups, AliasTable
from ..engine.spec import Model, PerParentVolume, PopulationVolume
from ..engine.volumes import PerParentRuntime, PopulationRuntime, VolumeRuntime
from .financial_calendars import open_mask

MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000
SLOTS = 16  # half-hour slots: 8 before a one-hour lunch break, 8 after
OPENING = [("07:30:00", "16:30:00"), ("08:00:00", "17:00:00"), ("08:30:00", "17:30:00"), ("09:00:00", "18:00:00")]
OPENING_WEIGHTS = [15, 45, 25, 15]
WINDOW = 28  # days per care-episode window
VISITS_PER_EPISODE = 4.0
CHILD_MAX_AGE = 15  # children are registered at ages 0-14 ...
CHILD_LOOKBACK = int((18 - CHILD_MAX_AGE) * 365.25) - WINDOW - 1  # ... and are pediatric patients while < 18

# age group: (weight per 100 patients, age at registration from, to) - a census-like mix
AGE_GROUPS = [(19, 0, 15), (26, 15, 35), (19, 35, 50), (19, 50, 65), (13, 65, 80), (4, 80, 100)]
GROUP_WEIGHTS = np.asarray([g[0] for g in AGE_GROUPS], dtype=np.int64)
PATIENT_LAYOUT = int(GROUP_WEIGHTS.sum())

# specialization: (weight among doctors, preference over the age groups above)
SPECIALIZATIONS = [
    ("General Practice", 38, [15, 22, 18, 20, 18, 7]),
    ("Pediatrics", 14, [1, 0, 0, 0, 0, 0]),
    ("Cardiology", 10, [0, 3, 12, 30, 40, 15]),
    ("Neurology", 7, [2, 18, 22, 25, 23, 10]),
    ("Oncology", 6, [1, 6, 15, 33, 35, 10]),
    ("Orthopedics", 13, [10, 25, 22, 22, 16, 5]),
    ("Dermatology", 12, [8, 35, 22, 18, 13, 4]),
]
# diagnoses by specialization and age band at the visit (child, adult, senior): [[name, weight], ...]
DIAGNOSES = {
    "General Practice": [
        [["Routine Check-up", 30], ["Common Cold", 25], ["Ear Infection", 12], ["Vaccination", 18], ["Strep Throat", 10], ["Injury", 5]],
        [["Routine Check-up", 25], ["Common Cold", 18], ["Hypertension", 14], ["Type 2 Diabetes", 8], ["Back Pain", 10], ["Influenza", 10], ["Anxiety", 8], ["Injury", 7],
         ["Bronchitis", 5], ["Seasonal Allergies", 6]],
        [["Hypertension", 28], ["Type 2 Diabetes", 18], ["Routine Check-up", 20], ["Osteoarthritis", 12], ["Hyperlipidemia", 12], ["Influenza", 10],
         ["Bronchitis", 6], ["Pneumonia", 4]],
    ],
    "Pediatrics": [
        [["Routine Check-up", 30], ["Vaccination", 22], ["Common Cold", 18], ["Ear Infection", 12], ["Asthma", 8], ["Strep Throat", 6], ["ADHD", 4]],
        None, None,
    ],
    "Cardiology": [
        [["Heart Murmur", 70], ["Arrhythmia", 30]],
        [["Hypertension", 35], ["Arrhythmia", 25], ["Chest Pain", 20], ["Hyperlipidemia", 20]],
        [["Coronary Artery Disease", 30], ["Atrial Fibrillation", 25], ["Heart Failure", 20], ["Hypertension", 25]],
    ],
    "Neurology": [
        [["Epilepsy", 50], ["Migraine", 40], ["Concussion", 10]],
        [["Migraine", 45], ["Epilepsy", 15], ["Neuropathy", 20], ["Multiple Sclerosis", 10], ["Concussion", 10]],
        [["Parkinson's Disease", 25], ["Alzheimer's Disease", 25], ["Stroke Follow-up", 25], ["Neuropathy", 25]],
    ],
    "Oncology": [
        [["Leukemia", 60], ["Lymphoma", 40]],
        [["Lymphoma", 25], ["Melanoma", 25], ["Colorectal Cancer", 25], ["Leukemia", 10], ["Thyroid Cancer", 15]],
        [["Lung Cancer", 30], ["Colorectal Cancer", 30], ["Lymphoma", 15], ["Melanoma", 15], ["Leukemia", 10]],
    ],
    "Orthopedics": [
        [["Fracture", 55], ["Sprain", 45]],
        [["Back Pain", 30], ["Sprain", 25], ["Fracture", 20], ["Tendinitis", 25]],
        [["Osteoarthritis", 45], ["Hip Fracture", 20], ["Back Pain", 35]],
    ],
    "Dermatology": [
        [["Eczema", 60], ["Acne", 40]],
        [["Acne", 30], ["Eczema", 20], ["Psoriasis", 20], ["Skin Check", 30]],
        [["Skin Check", 45], ["Actinic Keratosis", 30], ["Psoriasis", 25]],
    ],
}
# season factor of a diagnosis by month (January first); unlisted diagnoses do not vary with the season
SEASONAL = {
    "Influenza": [4.0, 3.5, 1.8, 0.6, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.8, 3.2],
    "Common Cold": [1.7, 1.6, 1.3, 1.0, 0.8, 0.6, 0.55, 0.6, 0.9, 1.2, 1.4, 1.6],
    "Bronchitis": [1.8, 1.7, 1.3, 0.9, 0.6, 0.5, 0.5, 0.5, 0.7, 1.0, 1.3, 1.7],
    "Pneumonia": [1.7, 1.6, 1.3, 1.0, 0.7, 0.6, 0.6, 0.6, 0.7, 0.9, 1.2, 1.5],
    "Strep Throat": [1.5, 1.5, 1.4, 1.1, 0.9, 0.6, 0.5, 0.6, 0.9, 1.1, 1.2, 1.4],
    "Ear Infection": [1.4, 1.4, 1.2, 1.0, 0.8, 0.7, 0.7, 0.7, 0.9, 1.0, 1.2, 1.4],
    "Asthma": [1.2, 1.1, 1.1, 1.2, 1.1, 0.8, 0.7, 0.8, 1.3, 1.1, 1.0, 1.1],
    "Seasonal Allergies": [0.3, 0.5, 1.6, 2.6, 2.4, 1.6, 0.9, 0.9, 1.4, 0.9, 0.4, 0.3],
    "Sprain": [0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8],
    "Skin Check": [0.8, 0.8, 0.9, 1.0, 1.2, 1.3, 1.3, 1.2, 1.0, 0.9, 0.8, 0.8],
}
RESPIRATORY = ["Influenza", "Common Cold", "Bronchitis", "Pneumonia", "Strep Throat"]
# booking lead time in days (exponential mean) by specialization, and how no-shows and cancellations grow with it
LEAD_DAYS = {"General Practice": 4.0, "Pediatrics": 5.0, "Cardiology": 21.0, "Neurology": 28.0, "Oncology": 10.0, "Orthopedics": 14.0,
             "Dermatology": 30.0}
STATUSES = ["Completed", "No-show", "Cancelled", "Scheduled"]
NO_SHOW = (0.04, 0.11, 30.0)  # rate = a + b (1 - exp(-lead / c))
CANCELLED = (0.03, 0.14, 20.0)
STREETS = ["Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut", "Sunset",
           "Lincoln", "Church", "Highland", "Spring", "River", "Center", "Medical Center", "Hospital", "College", "Broad"]
DOCTORS = "dim_doctors"
PATIENTS = "dim_patients"
CLINICS = "dim_clinics"


# ------------------------------------------------------------------ patients: age groups by a slot pattern


@lru_cache(maxsize=64)
def _group_pattern(seed: int, model: str) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(pattern[100], prefix[group, r] = slots < r of the group, positions[group] = its slots, sorted)."""
    slots = np.repeat(np.arange(len(GROUP_WEIGHTS)), GROUP_WEIGHTS)
    order = np.argsort(rng.bits(rng.stream_key(seed, model, PATIENTS, "__groups"), np.arange(PATIENT_LAYOUT)), kind="stable")
    pattern = slots[order]
    prefix = np.zeros((len(GROUP_WEIGHTS), PATIENT_LAYOUT + 1), dtype=np.int64)
    for g in range(len(GROUP_WEIGHTS)):
        prefix[g, 1:] = np.cumsum(pattern == g)
    return pattern, prefix, [np.flatnonzero(pattern == g) for g in range(len(GROUP_WEIGHTS))]


def _groups(engine):
    return _group_pattern(engine.seed, engine.model.name)


def group_count(engine, group: np.ndarray, n: np.ndarray) -> np.ndarray:
    """How many of the first n patients (row indices < n) belong to `group`."""
    _, prefix, _ = _groups(engine)
    q, r = np.divmod(np.asarray(n, dtype=np.int64), PATIENT_LAYOUT)
    return q * GROUP_WEIGHTS[group] + prefix[group, r]


def group_member(engine, group: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Row index of the j-th (0-based) patient of `group`."""
    _, _, positions = _groups(engine)
    out = np.zeros(len(j), dtype=np.int64)
    for g in np.unique(group):
        m = group == g
        q, r = np.divmod(j[m], GROUP_WEIGHTS[g])
        out[m] = q * PATIENT_LAYOUT + positions[g][r]
    return out


def age_group(ctx) -> np.ndarray:
    return _groups(ctx.table.engine)[0][ctx.rows % PATIENT_LAYOUT]


def date_of_birth(ctx) -> np.ndarray:
    """Registration day minus an age drawn uniformly in the patient's age group (epoch days)."""
    g = np.asarray(ctx.get("age_group"), dtype=np.int64)
    lo = np.asarray([a[1] for a in AGE_GROUPS], dtype=np.float64)[g]
    hi = np.asarray([a[2] for a in AGE_GROUPS], dtype=np.float64)[g]
    age_days = ((lo + (hi - lo) * ctx.uniform()) * 365.25).astype(np.int64)
    return ctx.day + ctx.table.engine.origin_epoch_day - age_days


# ------------------------------------------------------------------ appointments: doctor-days and slots


class FlooredPopulation(PopulationRuntime):
    """A population volume whose initial population is at least `min_initial` rows at any scale (tiny runs still
    have clinics and doctors to refer to). args: the PopulationVolume fields plus min_initial."""

    def __init__(self, table, spec) -> None:
        args = dict(spec.args)
        floor = float(args.pop("min_initial", 1))
        super().__init__(table, PopulationVolume(**args))
        self.initial = max(self.initial, floor)


class DoctorDays(VolumeRuntime):
    """Not a table: one unit per (clinic working day, doctor working by then), doctors in id order."""

    def __init__(self, table, doctors: VolumeRuntime) -> None:
        super().__init__(table)
        self.doctors = doctors

    def rows_on_days(self, days):
        dates = np.datetime64(self.engine.origin, "D") + days.astype("timedelta64[D]")
        return np.where(open_mask("US_CLINICS", dates), self.doctors.live(days), 0).astype(np.int64)


class AppointmentVolume(PerParentRuntime):
    """Appointments as children of doctor-days: block compositions over doctor-days (see the module doc)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table, PerParentVolume(parent=spec.parent, **spec.args))
        self.doctors = self.parent
        self.parent = DoctorDays(table, self.doctors)

    def locate(self, rows):
        loc = super().locate(rows)
        loc["doctor"] = loc["parent"] - self.parent._cum[loc["day"]]
        return loc


def doctor_of(ctx) -> np.ndarray:
    return ctx.loc["doctor"] + 1


def appointment_slot(ctx) -> np.ndarray:
    """Slot 0..15 of the row: the doctor-day's n appointments take the first n slots of a seeded random slot
    order, listed in time order, so a doctor never has two appointments in one slot."""
    dd, n, j = ctx.loc["parent"], ctx.loc["count"], ctx.loc["slot"]
    out = np.empty(len(dd), dtype=np.int64)
    step = 65536
    for s in range(0, len(dd), step):
        d, nn, jj = dd[s:s + step], n[s:s + step], j[s:s + step]
        u = rng.bits(ctx.key(), (d[:, None] * SLOTS + np.arange(SLOTS)[None, :]).ravel()).reshape(len(d), SLOTS)
        rank = np.argsort(np.argsort(u, axis=1), axis=1)
        chosen = rank < nn[:, None]
        nth = np.cumsum(chosen, axis=1)
        out[s:s + step] = np.argmax(chosen & (nth == jj[:, None] + 1), axis=1)
    return out


def appointment_time(ctx) -> np.ndarray:
    """Start of the slot: the clinic's opening time + 30 min per slot, after a one-hour lunch break from slot 8."""
    slot = np.asarray(ctx.get("slot"), dtype=np.int64)
    minute = np.asarray(ctx.get("open_minute"), dtype=np.int64) + 30 * slot + 60 * (slot >= SLOTS // 2)
    return (ctx.day + ctx.table.engine.origin_epoch_day) * MICROS_PER_DAY + minute * MICROS_PER_MINUTE


def by_index(ctx, of: str, values: list) -> np.ndarray:
    return np.asarray(values)[np.asarray(ctx.get(of), dtype=np.int64)]


@lru_cache(maxsize=1)
def _spec_groups() -> tuple[list[AliasTable], np.ndarray]:
    """Age-group alias table per specialization, and each group's expected share of all appointments."""
    tables = [AliasTable.build(s[2]) for s in SPECIALIZATIONS]
    spec_w = np.asarray([s[1] for s in SPECIALIZATIONS], dtype=np.float64)
    prefs = np.asarray([np.asarray(s[2], dtype=np.float64) / sum(s[2]) for s in SPECIALIZATIONS])
    return tables, (spec_w[:, None] * prefs).sum(axis=0) / spec_w.sum()


def episode_patient(ctx, mean_per_doctor_day: float = 11.0) -> np.ndarray:
    """patient_id through a care episode of the visit's 28-day window (see the module doc)."""
    eng = ctx.table.engine
    spec = np.asarray(ctx.get("spec_idx"), dtype=np.int64)
    alias, share = _spec_groups()
    random = ctx.bits("group")
    group = np.zeros(len(spec), dtype=np.int64)
    for s in np.unique(spec):
        m = spec == s
        group[m] = alias[s].sample(random[m])
    window = ctx.day // WINDOW
    start = window * WINDOW
    patients = eng.table(PATIENTS).volume
    live = patients.live(start)
    back = np.maximum(start - CHILD_LOOKBACK, 0)
    patients.live(back)  # extends the cumulative counts past these days
    lo = np.where(group == 0, patients._cum[back], 0)  # children registered since `back` (cum(0) = 0)
    first = group_count(eng, group, lo)
    pool = group_count(eng, group, live) - first
    first = np.where(pool > 0, first, 0)  # no child registered recently enough: fall back to all children
    pool = np.where(pool > 0, pool, group_count(eng, group, live))
    doctors = eng.table(DOCTORS).volume.live(start)
    expected = doctors * mean_per_doctor_day * WINDOW * 5 / 7 * share[group] / VISITS_PER_EPISODE
    episodes = np.maximum(np.rint(expected), 1).astype(np.int64)
    e = rng.below(ctx.key("episode"), ctx.rows, episodes)
    counter = (window * len(GROUP_WEIGHTS) + group) * (1 << 32) + e
    r = rng.below(ctx.key("patient"), counter, pool)
    return group_member(eng, group, first + r) + 1


@lru_cache(maxsize=1)
def _diagnosis_tables() -> tuple[list[str], AliasGroups]:
    """The diagnosis vocabulary and one alias table per (specialization, age band, month): the list's weights
    times the month's season factor."""
    vocab = list(dict.fromkeys(d for lists in DIAGNOSES.values() for opts in lists if opts for d, _ in opts))
    index = {d: i for i, d in enumerate(vocab)}
    season = np.ones((12, len(vocab)))
    for d, by_month in SEASONAL.items():
        if d in index:
            season[:, index[d]] = by_month
    weights = np.zeros((len(SPECIALIZATIONS), 3, 12, len(vocab)))
    for s, (name, _, _) in enumerate(SPECIALIZATIONS):
        lists = DIAGNOSES[name]
        for band in range(3):
            for d, w in lists[band] or next(o for o in lists if o):
                weights[s, band, :, index[d]] = w
    return vocab, AliasGroups.from_weights((weights * season[None, None]).reshape(-1, len(vocab)))


def diagnosis(ctx) -> pl.Series:
    """A diagnosis by the doctor's specialization, the patient's age band at the visit and the month."""
    vocab, tables = _diagnosis_tables()
    spec = np.asarray(ctx.get("spec_idx"), dtype=np.int64)
    age = (ctx.day + ctx.table.engine.origin_epoch_day - np.asarray(ctx.get("patient_dob"), dtype=np.int64)) / 365.25
    band = np.where(age < 18, 0, np.where(age < 65, 1, 2))
    month = np.asarray(ctx.get("month"), dtype=np.int64) - 1
    return pl.Series(vocab, dtype=pl.Utf8).gather(tables.sample(ctx.bits(), (spec * 3 + band) * 12 + month))


def booking_lead(ctx) -> np.ndarray:
    """Days between booking and appointment: exponential with the specialization's mean, at most a year."""
    means = np.asarray([LEAD_DAYS[s[0]] for s in SPECIALIZATIONS])[np.asarray(ctx.get("spec_idx"), dtype=np.int64)]
    return np.minimum(np.floor(-means * np.log1p(-ctx.uniform())), 365).astype(np.int64)


def booked_date(ctx) -> np.ndarray:
    """The appointment day minus the lead, not before the patient registered or the doctor started."""
    day = ctx.day + ctx.table.engine.origin_epoch_day
    return np.maximum(day - np.asarray(ctx.get("lead"), dtype=np.int64),
                      np.maximum(np.asarray(ctx.get("patient_since"), dtype=np.int64), np.asarray(ctx.get("doctor_since"), dtype=np.int64)))


def appointment_status(ctx) -> pl.Series:
    """Scheduled after the snapshot date; else No-show or Cancelled with rates growing with the lead time, else Completed."""
    lead = (ctx.day + ctx.table.engine.origin_epoch_day - np.asarray(ctx.get("booked_date"), dtype=np.int64)).astype(np.float64)
    no_show = NO_SHOW[0] + NO_SHOW[1] * -np.expm1(-lead / NO_SHOW[2])
    cancelled = CANCELLED[0] + CANCELLED[1] * -np.expm1(-lead / CANCELLED[2])
    u = ctx.uniform()
    code = np.where(u < no_show, 1, np.where(u < no_show + cancelled, 2, 0))
    code = np.where(ctx.day > ctx.table.engine.snapshot_day, 3, code)
    return pl.Series(STATUSES, dtype=pl.Utf8).gather(code)


def _fn(name: str) -> str:
    return f"{__name__}:{name}"


def _name_columns(prefix_sex: bool = True) -> list[dict]:
    return [
        {"name": "sex", "type": "string", "hidden": True, "gen": {"kind": "choice", "values": [["F", 51], ["M", 49]]}},
        {"name": "first_name", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "first_names", "where_field": "sex", "where_column": "sex"}},
        {"name": "last_name", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "last_names"}},
    ]


_PMF = [1, 1.5, 2.5, 4, 6, 8, 10, 11, 11, 10, 8, 6, 4]  # appointments per doctor-day 4..16

MODEL = Model.model_validate({
    "name": "medical",
    "aliases": ["med", "m"],
    "schema_version": 2,
    "sizing_table": "fact_appointments",
    "doc": "Clinics, doctors at one clinic each, patients with a realistic age mix and appointments in clinic hours.",
    "params": {
        "initial_clinics": 40.0, "new_clinics_per_day": 0.02,
        "initial_doctors": 600.0, "new_doctors_per_day": 0.3,     # at scale 1 (the planner scales all volumes)
        "initial_patients": 150000.0, "new_patients_per_day": 100.0,
        "clinic_skew": 0.35,                                       # bigger clinics employ more doctors
    },
    "param_ranges": {"clinic_skew": (0.0, 0.99)},  # the others are counts: 0..1e9
    "vocab": {
        "streets": STREETS,
        "street_types": [["St", 30], ["Ave", 22], ["Rd", 14], ["Dr", 12], ["Blvd", 10], ["Pkwy", 6], ["Way", 6]],
        "clinic_types": [["Clinic", 30], ["Medical Center", 20], ["Family Practice", 15], ["Health Center", 15],
                         ["Medical Group", 12], ["Care Clinic", 8]],
    },
    "tables": [
        {
            "name": CLINICS, "key": "clinic_id",
            "volume": {"kind": "custom", "runtime": _fn("FlooredPopulation"), "args": {
                "initial": "$initial_clinics", "daily": "$new_clinics_per_day", "weekday": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0], "min_initial": 3}},
            "columns": [
                {"name": "clinic_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "surname", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "last_names"}},
                {"name": "clinic_type", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "clinic_types"}},
                {"name": "clinic_name", "type": "string", "gen": {"kind": "template", "format": "{surname} {clinic_type}"}},
                {"name": "address", "type": "string", "doc": "one line: street, city, state zip",
                 "gen": {"kind": "template", "format": "{house_number} {street_name} {street_type}, {city}, {state} {zip}"}},
                {"name": "house_number", "type": "int64", "hidden": True, "gen": {"kind": "uniform_int", "low": 1, "high": 9999}},
                {"name": "street_name", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "streets"}},
                {"name": "street_type", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "street_types"}},
                {"name": "place", "type": "int64", "hidden": True, "gen": {"kind": "vocab_index", "name": "us_cities"}},
                {"name": "city", "type": "string", "gen": {"kind": "vocab_field", "name": "us_cities", "field": "city", "of": "place"}},
                {"name": "state", "type": "string", "gen": {"kind": "vocab_field", "name": "us_cities", "field": "state", "of": "place"}},
                {"name": "zip", "type": "string", "gen": {"kind": "vocab_nested", "name": "us_cities", "field": "zips", "of": "place"}},
                {"name": "hours", "type": "int64", "hidden": True, "gen": {"kind": "choice", "values": [[i, w] for i, w in enumerate(OPENING_WEIGHTS)]}},
                {"name": "opening_time", "type": "string", "gen": {"kind": "choice_by", "by": "hours", "options": {str(i): [o[0]] for i, o in enumerate(OPENING)}}},
                {"name": "closing_time", "type": "string", "gen": {"kind": "choice_by", "by": "hours", "options": {str(i): [o[1]] for i, o in enumerate(OPENING)}}},
                {"name": "open_minute", "type": "int64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("by_index"), "of": "hours",
                                                                                 "values": [int(o[0][:2]) * 60 + int(o[0][3:5]) for o in OPENING]}},
                {"name": "opened_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": DOCTORS, "key": "doctor_id",
            "volume": {"kind": "custom", "runtime": _fn("FlooredPopulation"), "args": {
                "initial": "$initial_doctors", "daily": "$new_doctors_per_day", "weekday": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0], "min_initial": 10}},
            "columns": [
                {"name": "doctor_id", "type": "int64", "gen": {"kind": "key"}},
                *_name_columns(),
                {"name": "doctor_name", "type": "string", "gen": {"kind": "template", "format": "Dr. {first_name} {last_name}"}},
                {"name": "spec_idx", "type": "int64", "hidden": True, "gen": {"kind": "choice", "values": [[i, s[1]] for i, s in enumerate(SPECIALIZATIONS)]}},
                {"name": "specialization", "type": "string", "gen": {"kind": "choice_by", "by": "spec_idx",
                                                                     "options": {str(i): [s[0]] for i, s in enumerate(SPECIALIZATIONS)}}},
                {"name": "clinic_id", "type": "int64", "doc": "the one clinic the doctor works at", "gen": {"kind": "ref", "table": CLINICS, "skew": "$clinic_skew"}},
                {"name": "start_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": PATIENTS, "key": "patient_id",
            "volume": {"kind": "population", "initial": "$initial_patients", "daily": "$new_patients_per_day",
                       "weekday": [1.15, 1.1, 1.1, 1.1, 1.05, 0.3, 0.2]},
            "columns": [
                {"name": "patient_id", "type": "int64", "gen": {"kind": "key"}},
                *_name_columns(),
                {"name": "patient_name", "type": "string", "gen": {"kind": "template", "format": "{first_name} {last_name}"}},
                {"name": "age_group", "type": "int64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("age_group")}},
                {"name": "date_of_birth", "type": "date", "gen": {"kind": "custom", "fn": _fn("date_of_birth")}},
                {"name": "gender", "type": "string", "doc": "sex: female or male", "gen": {"kind": "choice_by", "by": "sex",
                                                                                          "options": {"F": ["female"], "M": ["male"]}}},
                {"name": "registration_date", "type": "date", "gen": {"kind": "day_date"}},
            ],
        },
        {
            "name": "fact_appointments", "key": "appointment_id",
            "doc": "Appointments per doctor-day on clinic working days (4-16 each, mean 11), in distinct half-hour slots.",
            "volume": {"kind": "custom", "runtime": _fn("AppointmentVolume"), "parent": DOCTORS,
                       "args": {"block": 4, "total": 44, "min": 4, "max": 16, "pmf": _PMF}},
            "columns": [
                {"name": "appointment_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "patient_id", "type": "int64", "gen": {"kind": "custom", "fn": _fn("episode_patient")}},
                {"name": "doctor_id", "type": "int64", "gen": {"kind": "custom", "fn": _fn("doctor_of")}},
                {"name": "spec_idx", "type": "int64", "hidden": True, "gen": {"kind": "attr", "via": "doctor_id", "table": DOCTORS, "column": "spec_idx"}},
                {"name": "clinic_id", "type": "int64", "doc": "the doctor's clinic", "gen": {"kind": "attr", "via": "doctor_id", "table": DOCTORS, "column": "clinic_id"}},
                {"name": "appointment_date", "type": "date", "gen": {"kind": "day_date"}},
                {"name": "slot", "type": "int64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("appointment_slot")}},
                {"name": "open_minute", "type": "int64", "hidden": True, "gen": {"kind": "attr", "via": "clinic_id", "table": CLINICS, "column": "open_minute"}},
                {"name": "appointment_time", "type": "timestamp", "doc": "slot start, in clinic hours",
                 "gen": {"kind": "custom", "fn": _fn("appointment_time")}},
                {"name": "duration_minutes", "type": "int64", "gen": {"kind": "const", "value": 30}},
                {"name": "patient_dob", "type": "date", "hidden": True, "gen": {"kind": "attr", "via": "patient_id", "table": PATIENTS, "column": "date_of_birth"}},
                {"name": "month", "type": "int64", "hidden": True, "gen": {"kind": "month"}},
                {"name": "diagnosis", "type": "string", "doc": "by specialization, age band and season", "gen": {"kind": "custom", "fn": _fn("diagnosis")}},
                {"name": "lead", "type": "int64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("booking_lead")}},
                {"name": "patient_since", "type": "date", "hidden": True, "gen": {"kind": "attr", "via": "patient_id", "table": PATIENTS, "column": "registration_date"}},
                {"name": "doctor_since", "type": "date", "hidden": True, "gen": {"kind": "attr", "via": "doctor_id", "table": DOCTORS, "column": "start_date"}},
                {"name": "booked_date", "type": "date", "doc": "when the appointment was booked (lead time by specialization)",
                 "gen": {"kind": "custom", "fn": _fn("booked_date")}},
                {"name": "status", "type": "string", "doc": "at the snapshot date: Completed, No-show, Cancelled (likelier when booked long ahead) or Scheduled",
                 "gen": {"kind": "custom", "fn": _fn("appointment_status")}},
            ],
        },
    ],
    # version 3: telehealth visits, a patient's sex at birth named as such, no closing times
    "versions": [{"version": 3, "doc": "appointments carry their visit type; gender renamed sex_at_birth; clinics' closing_time "
                  "dropped", "migrations": [
        {"op": "add_column", "table": "fact_appointments", "after": "status", "column": {
            "name": "visit_type", "type": "string", "doc": "in person or by video",
            "gen": {"kind": "choice", "values": [["in_person", 8], ["telehealth", 2]]}}},
        {"op": "rename_column", "table": "dim_patients", "column": "gender", "to": "sex_at_birth"},
        {"op": "drop_column", "table": "dim_clinics", "column": "closing_time"},
    ]}],
    "distributions": [
        {"name": "doctor_clinic", "table": "fact_appointments", "check": "composite_ref",
         "args": {"columns": ["doctor_id", "clinic_id"], "table": DOCTORS}, "doc": "the appointment's clinic is the doctor's clinic"},
        {"name": "no_double_booking", "table": "fact_appointments", "check": "unique_columns",
         "args": {"columns": ["doctor_id", "appointment_time"]}, "doc": "a doctor has at most one appointment per slot"},
        {"name": "working_days", "table": "fact_appointments", "check": "row_condition",
         "args": {"condition": "isodow(appointment_date) <= 5 AND CAST(appointment_time AS DATE) = appointment_date"},
         "doc": "appointments on weekdays (clinic holidays: see financial_calendars.py US_CLINICS)"},
        {"name": "specialization_mix", "table": DOCTORS, "check": "share",
         "args": {"column": "specialization", "value": "General Practice", "expected": 0.38}, "doc": "38% of doctors are GPs"},
        {"name": "pediatrics_share", "table": DOCTORS, "check": "share",
         "args": {"column": "specialization", "value": "Pediatrics", "expected": 0.14}, "doc": "14% of doctors are pediatricians"},
        {"name": "sex_mix", "table": PATIENTS, "check": "share", "args": {"column": "gender", "value": "female", "expected": 0.51},
         "doc": "51% of patients are female"},
        {"name": "respiratory_in_winter", "table": "fact_appointments", "check": "share_ratio",
         "args": {"condition": f"s.diagnosis IN ({', '.join(repr(d) for d in RESPIRATORY)})",
                  "numerator": "month(s.appointment_date) IN (12, 1, 2)", "denominator": "month(s.appointment_date) IN (6, 7, 8)",
                  "min_ratio": 1.5},
         "doc": "respiratory infections (influenza, colds, bronchitis, pneumonia, strep) take at least 1.5x the share of visits in "
                "winter (December-February) as in summer (June-August)"},
        {"name": "booked_before", "table": "fact_appointments", "check": "row_condition",
         "args": {"condition": "booked_date <= appointment_date", "column": "booked_date"}, "doc": "an appointment is booked on or before its day"},
        {"name": "no_shows_by_lead_time", "table": "fact_appointments", "check": "share_ratio",
         "args": {"condition": "s.status = 'No-show'", "numerator": "s.appointment_date - s.booked_date > 30",
                  "denominator": "s.appointment_date - s.booked_date <= 7", "where": "s.status <> 'Scheduled'", "min_ratio": 2.0},
         "doc": "appointments booked more than a month ahead are missed at least twice as often as those booked within a week"},
        {"name": "cancellations_by_lead_time", "table": "fact_appointments", "check": "share_ratio",
         "args": {"condition": "s.status = 'Cancelled'", "numerator": "s.appointment_date - s.booked_date > 30",
                  "denominator": "s.appointment_date - s.booked_date <= 7", "where": "s.status <> 'Scheduled'", "min_ratio": 2.5},
         "doc": "appointments booked more than a month ahead are cancelled at least 2.5x as often as those booked within a week"},
        {"name": "routine_visits", "table": "fact_appointments", "check": "share",
         "args": {"column": "diagnosis", "values": ["Routine Check-up", "Vaccination"], "min": 0.08, "max": 0.25},
         "doc": "routine check-ups and vaccinations are a common minority of visits (GP and pediatrics)"},
    ],
})
