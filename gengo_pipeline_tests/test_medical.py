"""The medical model: clinics, doctors, patients and appointments, read back from the files it writes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import assert_formats_agree, file_hashes, gengo, query, scan

MODEL = "medical"
BASE = ["--model", MODEL, "--size", "5MB", "--days", "70", "--format", "parquet,csv,json", "--seed", "3", "--no-progress"]
TABLES = ("dim_clinics", "dim_doctors", "dim_patients", "fact_appointments")


@pytest.fixture(scope="module")
def med(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("med")
    gengo("gen", *BASE, "--out", str(out), "--workers", "2")
    return out


def s(root: Path, table: str, fmt: str = "parquet") -> str:
    return scan(root, MODEL, table, fmt)


def test_formats_hold_the_same_rows(med: Path):
    assert_formats_agree(med, MODEL, list(TABLES))


def test_workers_and_chunking_give_identical_bytes(med: Path, tmp_path: Path):
    gengo("gen", *BASE, "--out", str(tmp_path), "--workers", "1", env={"GENGO_CHUNK_ROWS": "1000"})
    a, b = file_hashes(med), file_hashes(tmp_path)
    assert len(a) > 100 and a == b


def test_one_day_alone_reproduces_the_partition(med: Path, tmp_path: Path):
    scale = json.loads((med / MODEL / "_manifest.json").read_text())["identity"]["scale"]
    day = "2024-02-20"
    gengo("gen", "--model", "m", "--start", day, "--days", "1", "--scale", repr(scale), "--format", "parquet,csv,json",
          "--seed", "3", "--out", str(tmp_path), "--no-progress", "--workers", "1")
    one, big = file_hashes(tmp_path), file_hashes(med)
    expected = {k: v for k, v in big.items() if f"date={day}" in k}
    assert len(expected) >= 2 * 3 and one == expected  # a day without new clinics or doctors has no file for them


def test_keys_unique_and_references_resolve(med: Path):
    cl, do, pa, ap = (s(med, t) for t in TABLES)
    for table, key in ((cl, "clinic_id"), (do, "doctor_id"), (pa, "patient_id"), (ap, "appointment_id")):
        n, distinct, top = query(f"SELECT count(*), count(DISTINCT {key}), max({key}) FROM {table}")[0]
        assert n == distinct == top
    for ref, table in (("patient_id", pa), ("doctor_id", do), ("clinic_id", cl)):
        assert query(f"SELECT count(*) FROM {ap} a ANTI JOIN {table} t USING ({ref})")[0][0] == 0
    assert query(f"SELECT count(*) FROM {do} d ANTI JOIN {cl} c USING (clinic_id)")[0][0] == 0
    # the appointment's clinic is the doctor's clinic
    assert query(f"SELECT count(*) FROM {ap} a ANTI JOIN {do} d ON a.doctor_id = d.doctor_id AND a.clinic_id = d.clinic_id")[0][0] == 0


def test_time_consistency(med: Path):
    cl, do, pa, ap = (s(med, t) for t in TABLES)
    bad = query(f"""SELECT count(*) FROM {ap} a JOIN {pa} p USING (patient_id) JOIN {do} d USING (doctor_id)
                    JOIN {cl} c ON c.clinic_id = a.clinic_id
                    WHERE a.appointment_date < p.registration_date OR a.appointment_date < d.start_date
                       OR a.appointment_date < c.opened_date OR d.start_date < c.opened_date""")
    assert bad[0][0] == 0
    assert query(f"SELECT count(*) FROM {pa} WHERE date_of_birth > registration_date")[0][0] == 0


def test_slots_in_clinic_hours_on_working_days_without_double_booking(med: Path):
    cl, ap = s(med, "dim_clinics"), s(med, "fact_appointments")
    n, bad_hours = query(f"""SELECT count(*), count(*) FILTER (WHERE
                                 strftime(a.appointment_time, '%H:%M:%S') < c.opening_time::VARCHAR
                              OR strftime(a.appointment_time + INTERVAL 30 MINUTE, '%H:%M:%S') > c.closing_time::VARCHAR
                              OR CAST(a.appointment_time AS DATE) <> a.appointment_date)
                             FROM {ap} a JOIN {cl} c USING (clinic_id)""")[0]
    assert n > 10000 and bad_hours == 0
    assert query(f"SELECT count(*) FROM {ap} WHERE isodow(appointment_date) > 5")[0][0] == 0
    closed = query(f"SELECT count(*) FROM {ap} WHERE appointment_date IN ('2024-01-01'::DATE)")[0][0]
    assert closed == 0
    assert query(f"SELECT count(*) - count(DISTINCT (doctor_id, appointment_time)) FROM {ap}")[0][0] == 0
    per_day = query(f"SELECT max(c), min(c) FROM (SELECT count(*) AS c FROM {ap} GROUP BY doctor_id, appointment_date)")[0]
    assert per_day[0] <= 16 and per_day[1] >= 4


def test_diagnosis_follows_specialization_and_age(med: Path):
    do, pa, ap = s(med, "dim_doctors"), s(med, "dim_patients"), s(med, "fact_appointments")
    rows = query(f"""SELECT d.specialization, count(*), count(*) FILTER (WHERE age < 18), count(*) FILTER (WHERE age >= 65),
                            list(DISTINCT diagnosis) FROM
                     (SELECT a.*, datediff('day', p.date_of_birth, a.appointment_date) / 365.25 AS age
                      FROM {ap} a JOIN {pa} p USING (patient_id)) JOIN {do} d USING (doctor_id) GROUP BY 1""")
    by = {r[0]: r[1:] for r in rows}
    n, kids, _, dx = by["Pediatrics"]
    assert n > 100 and kids == n  # pediatrics sees children only
    assert "Heart Failure" not in dx and "Alzheimer's Disease" not in dx
    n, kids, seniors, dx = by["Cardiology"]
    assert kids / n < 0.03 and seniors / n > 0.35 and "Vaccination" not in dx
    n, kids, seniors, _ = by["General Practice"]
    assert 0.08 < kids / n < 0.25 and n == max(v[0] for v in by.values())
    # an adult's cardiology visit is never a child's diagnosis and a child's never a senior one
    mism = query(f"""SELECT count(*) FROM {ap} a JOIN {pa} p USING (patient_id) JOIN {do} d USING (doctor_id)
                     WHERE d.specialization = 'Cardiology' AND datediff('day', p.date_of_birth, a.appointment_date) < 18 * 365.25 - 1
                       AND a.diagnosis NOT IN ('Heart Murmur', 'Arrhythmia')""")
    assert mism[0][0] == 0


def test_patients_age_mix_and_visits_cluster(med: Path):
    pa, ap = s(med, "dim_patients"), s(med, "fact_appointments")
    n, kids, seniors, women = query(f"""SELECT count(*), count(*) FILTER (WHERE age < 15), count(*) FILTER (WHERE age >= 65),
                                        count(*) FILTER (WHERE gender = 'female') FROM
                                        (SELECT *, datediff('day', date_of_birth, registration_date) / 365.25 AS age FROM {pa})""")[0]
    assert 0.16 < kids / n < 0.22 and 0.14 < seniors / n < 0.20 and 0.48 < women / n < 0.54
    gaps = """SELECT count(*) FILTER (WHERE g <= 7) / count(*) FROM
              (SELECT appointment_date - lag(appointment_date) OVER (PARTITION BY patient_id ORDER BY appointment_date, appointment_id) AS g
               FROM {src}) WHERE g IS NOT NULL"""
    real = query(gaps.format(src=ap))[0][0]
    shuffled = query(gaps.format(src=f"""(SELECT a.patient_id, b.appointment_date, a.appointment_id FROM
                       (SELECT patient_id, appointment_id, row_number() OVER (ORDER BY hash(appointment_id * 7919)) AS k FROM {ap}) a
                       JOIN (SELECT appointment_date, row_number() OVER (ORDER BY appointment_id) AS k FROM {ap}) b USING (k))"""))[0][0]
    assert real > shuffled + 0.15  # visits of one patient bunch up in time
