#!/usr/bin/env python3
"""Smoke test for england_non_residential.py (benchmark harness, not the product).

    python3 smoke_test.py [--rows 1000] [--policy-dir /work/main/policy] [--workdir DIR]

1. Copies the policy directory to a temporary directory. The MIG amounts in FAKE (some
   marked unknown in england.yaml) are given obviously fake values in the COPY
   (reference title "FAKE ... smoke test only"). The real policy files are never written.
2. Writes a cases CSV: nine hand-computed rows, then random rows up to --rows.
3. Runs the OpenFisca script on it and checks
   - the hand-computed rows (only when the fake MIG figures below are the ones in use);
   - every row against an exact integer-pence reference of the same rule, reporting how
     many float32 results differ from exact pence.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import england_non_residential as rule  # noqa: E402

DATE = "2024-10-01"

# Obviously fake figures, used only in the temporary copy: the MIG amounts some of which
# policy/england.yaml does not yet hold (marked unknown there) for 2024/25.
FAKE = {
    "mig.single.pension_credit_age": "200.00",
    "mig.couple.age_18_plus_each": "80.00",
    "mig.couple.pension_credit_age_each": "150.00",
    "mig.disability_premium.single": "40.00",
    "mig.disability_premium.couple_each": "30.00",
    "mig.enhanced_disability_premium.single": "20.00",
    "mig.enhanced_disability_premium.couple_each": "15.00",
    "mig.carer_premium": "50.00",
    "mig.dependent_child": "100.00",
}

COLUMNS = rule.CSV_COLUMNS
MONEY = [name for name, kind, _ in rule.INPUT_COLUMNS if kind is float]


def row(id_, **values):
    out = {name: 0 for name in COLUMNS}
    out["id"] = id_
    out["age_years"] = 40
    out.update(values)
    return out


# Hand-computed on 2024-10-01 with: capital limits 14250 / 23250, £1 per £250 or part;
# MIG single 18-24 87.65, 25+ 110.60 (england.yaml); AA 72.65 / 108.55, DLA care middle
# / highest 72.65 / 108.55, PIP daily living 72.65 / 108.55 (uk/benefits.yaml); and the
# FAKE figures above for the parameters england.yaml lacked.
HAND = [
    # 37, single, disability + enhanced premiums, ESA + PIP DL enhanced; PIP mobility
    # ignored. counted 225.45 + 108.55 = 334.00; MIG 110.60 + 40.00 + 20.00 = 170.60;
    # 334.00 - 170.60 - 17.27 - 28.08 = 118.05
    (row("hand-1", age_years=37, disability=1, enhanced_disability=1, esa=225.45,
         pip_daily_living_enhanced=108.55, pip_mobility_standard=28.70,
         housing_costs=17.27, dre=28.08, cost_of_care=454.00), "118.05"),
    # pensioner, savings 16000.01 -> 1750.01 over -> 8 bands -> 8.00 tariff; AA higher
    # less night element (108.55 - 35.90 = 72.65); counted 221.20 + 50.00 + 72.65 =
    # 343.85; + 8.00 - 200.00 (fake) - 20.00 = 131.85
    (row("hand-2", age_years=80, pension_credit_age=1, savings=16000.01,
         state_pension=221.20, private_pension=50.00, attendance_allowance_higher=108.55,
         disregard_night_care_element=1, night_care_provided=0, dre=20.00,
         cost_of_care=300.00), "131.85"),
    # savings above the upper limit: full cost
    (row("hand-3", savings=23250.01, esa=100.00, cost_of_care=612.34), "612.34"),
    # savings exactly at the upper limit: tariff 9000 / 250 = 36.00;
    # 100.00 + 36.00 - 110.60 = 25.40
    (row("hand-4", savings=23250.00, esa=100.00, cost_of_care=50.00), "25.40"),
    # couple, pension age, carer, 2 children; night care provided so DLA highest counts
    # in full; earnings ignored. counted 300.00 + 10.00 + 108.55 = 418.55; MIG 150.00 +
    # 50.00 + 2 x 100.00 = 400.00 (fake); 418.55 - 400.00 - 5.00 = 13.55
    (row("hand-5", age_years=70, pension_credit_age=1, couple=1, carer=1,
         dependent_children=2, state_pension=300.00, pension_credit_guarantee=10.00,
         dla_care_highest=108.55, disregard_night_care_element=1, night_care_provided=1,
         earnings=500.00, housing_costs=5.00, cost_of_care=1000.00), "13.55"),
    # 20, single: MIG 87.65; counted 90.00 + 72.65 = 162.65 -> 75.00; capped at cost 20
    (row("hand-6", age_years=20, universal_credit=90.00, pip_daily_living_standard=72.65,
         pip_mobility_standard=28.70, cost_of_care=20.00), "20.00"),
    # income below MIG: nothing to pay
    (row("hand-7", age_years=30, esa=50.00, cost_of_care=100.00), "0.00"),
    # savings 14250.01: one part band -> 1.00; 110.60 + 1.00 - 110.60 = 1.00
    (row("hand-8", age_years=30, savings=14250.01, esa=110.60, cost_of_care=100.00),
     "1.00"),
    # PIP DL enhanced of 20.00 less the 35.90 night element floors at 0;
    # 200.00 - 110.60 = 89.40
    (row("hand-9", age_years=50, esa=200.00, pip_daily_living_enhanced=20.00,
         disregard_night_care_element=1, cost_of_care=500.00), "89.40"),
]


def make_policy_copy(policy_dir: Path, into: Path) -> list[str]:
    """Copy policy/ and give every FAKE parameter its fake value throughout, whether the
    real file lacks it, marks it unknown, or holds it: the hand rows are computed with the
    fake figures."""
    import datetime as dt

    target = into / "policy"
    shutil.copytree(policy_dir, target)
    england = target / "england.yaml"
    document = yaml.safe_load(england.read_text())
    parameters = document["parameters"]
    missing = [name for name in rule.ENGLAND_PARAMETERS if name not in parameters]
    for name in missing:
        if name not in FAKE:
            raise SystemExit(f"no fake value for {name}")
    for name, value in FAKE.items():
        parameters[name] = {
            "description": "FAKE value for the OpenFisca smoke test only",
            "unit": "GBP/week",
            "values": [
                {
                    "from": dt.date(2015, 4, 6),
                    "value": value,
                    "reference": {"title": "FAKE smoke test only", "href": "https://example.invalid/"},
                }
            ],
        }
    england.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return list(FAKE)


def random_cases(n: int, seed: int = 20241001) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def money(low, high, share=1.0):
        pence = rng.integers(int(low * 100), int(high * 100) + 1, n)
        return np.where(rng.random(n) < share, pence, 0)

    age = rng.integers(18, 100, n)
    pc_age = (age >= 66).astype(np.int64)
    cols = {
        "age_years": age,
        "pension_credit_age": pc_age,
        "couple": (rng.random(n) < 0.25).astype(np.int64),
        "disability": (rng.random(n) < 0.4).astype(np.int64),
        "enhanced_disability": (rng.random(n) < 0.2).astype(np.int64),
        "carer": (rng.random(n) < 0.1).astype(np.int64),
        "dependent_children": np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0),
        # pence
        "savings": np.where(rng.random(n) < 0.5, rng.integers(0, 3_000_000, n), 0),
        "state_pension": money(100, 300, 0.5),
        "private_pension": money(0, 400, 0.3),
        "pension_credit_guarantee": money(0, 100, 0.1),
        "esa": money(50, 300, 0.3),
        "universal_credit": money(0, 400, 0.2),
        "carers_allowance": money(81.90, 81.90, 0.05),
        "earnings": money(0, 500, 0.1),
        "attendance_allowance_lower": money(72.65, 72.65, 0.15),
        "attendance_allowance_higher": money(108.55, 108.55, 0.15),
        "dla_care_middle": money(72.65, 72.65, 0.05),
        "dla_care_highest": money(0, 108.55, 0.05),
        "pip_daily_living_standard": money(72.65, 72.65, 0.1),
        "pip_daily_living_enhanced": money(0, 108.55, 0.1),
        "pip_mobility_standard": money(28.70, 28.70, 0.1),
        "dla_mobility_higher": money(75.75, 75.75, 0.05),
        "housing_costs": money(0, 150, 0.4),
        "dre": money(0, 80, 0.5),
        "cost_of_care": money(20, 2000),
        "night_care_provided": (rng.random(n) < 0.2).astype(np.int64),
        "disregard_night_care_element": (rng.random(n) < 0.5).astype(np.int64),
    }
    return cols


def write_cases(path: Path, hand: list[dict], n_random: int) -> None:
    cols = random_cases(n_random)
    with path.open("w") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        for r in hand:
            handle.write(
                ",".join(
                    f"{r[c]:.2f}" if c in MONEY else str(r[c]) for c in COLUMNS
                )
                + "\n"
            )
        if n_random:
            fields = [np.array([f"r{i}" for i in range(n_random)])]
            for c in COLUMNS[1:]:
                v = cols[c]
                if c in MONEY:
                    fields.append(np.char.add(np.char.add((v // 100).astype(str), "."),
                                              np.char.zfill((v % 100).astype(str), 2)))
                else:
                    fields.append(v.astype(str))
            lines = fields[0]
            for f in fields[1:]:
                lines = np.char.add(np.char.add(lines, ","), f)
            handle.write("\n".join(lines.tolist()) + "\n")


def pence(text: str) -> int:
    pounds, _, frac = text.partition(".")
    sign = -1 if pounds.startswith("-") else 1
    return sign * (abs(int(pounds)) * 100 + int((frac + "00")[:2]))


def exact_reference(cases: Path, policy_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The same rule in exact integer pence (numpy int64)."""
    import datetime as dt

    on = dt.date.fromisoformat(DATE)
    p = {}
    for file_name, _, names in rule.PARAMETER_SOURCES:
        params = yaml.safe_load((policy_dir / file_name).read_text())["parameters"]
        for name in names:
            value = [v for v in params[name]["values"] if v["from"] <= on][-1]["value"]
            p[name] = pence(str(value))
    header = cases.open().readline().strip().split(",")
    raw = np.loadtxt(cases, delimiter=",", skiprows=1, dtype=str, ndmin=2)
    col = {h: raw[:, i] for i, h in enumerate(header)}
    ids = col["id"]

    def m(name):  # money column -> pence
        return np.round(col[name].astype(np.float64) * 100).astype(np.int64)

    def f(name):
        return col[name].astype(np.int64)

    capital = m("savings")
    over = capital - p["capital.lower_limit"]
    bands = -((-over) // p["capital.tariff_band"])
    tariff = np.where(capital <= p["capital.lower_limit"], 0,
                      bands * p["capital.tariff_per_band"])
    night = (f("disregard_night_care_element") == 1) & (f("night_care_provided") == 0)

    def less(name, hi, lo):
        a = m(name)
        return np.where(night & (a > 0), np.maximum(a - (p[hi] - p[lo]), 0), a)

    counted = (m("state_pension") + m("private_pension") + m("pension_credit_guarantee")
               + m("esa") + m("universal_credit") + m("carers_allowance")
               + m("attendance_allowance_lower")
               + less("attendance_allowance_higher", "attendance_allowance.higher",
                      "attendance_allowance.lower")
               + m("dla_care_middle")
               + less("dla_care_highest", "dla_care.highest", "dla_care.middle")
               + m("pip_daily_living_standard")
               + less("pip_daily_living_enhanced", "pip_daily_living.enhanced",
                      "pip_daily_living.standard"))
    couple = f("couple") == 1
    pc = f("pension_credit_age") == 1
    base = np.where(couple,
                    np.where(pc, p["mig.couple.pension_credit_age_each"],
                             p["mig.couple.age_18_plus_each"]),
                    np.where(pc, p["mig.single.pension_credit_age"],
                             np.where(f("age_years") < 25, p["mig.single.age_18_24"],
                                      p["mig.single.age_25_to_pension_credit_age"])))
    mig = (base
           + f("disability") * np.where(couple, p["mig.disability_premium.couple_each"],
                                        p["mig.disability_premium.single"])
           + f("enhanced_disability") * np.where(
               couple, p["mig.enhanced_disability_premium.couple_each"],
               p["mig.enhanced_disability_premium.single"])
           + f("carer") * p["mig.carer_premium"]
           + f("dependent_children") * p["mig.dependent_child"])
    cost = m("cost_of_care")
    assessable = np.maximum(counted + tariff - mig - m("housing_costs") - m("dre"), 0)
    charge = np.where(capital > p["capital.upper_limit"], cost,
                      np.minimum(assessable, cost))
    return ids, charge


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--policy-dir", type=Path, default=HERE.parent.parent / "policy")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="openfisca-smoke-"))
    work.mkdir(parents=True, exist_ok=True)
    faked = make_policy_copy(args.policy_dir, work) if not (work / "policy").exists() else []
    policy = work / "policy"
    if faked:
        print(f"FAKE values used (temporary copy only) for: {', '.join(faked)}")

    cases = work / "cases.csv"
    out = work / "charges.csv"
    write_cases(cases, [r for r, _ in HAND], max(args.rows - len(HAND), 0))

    result = subprocess.run(
        [sys.executable, str(HERE / "england_non_residential.py"), "--cases", str(cases),
         "--out", str(out), "--date", DATE, "--policy-dir", str(policy)],
        capture_output=True, text=True,
    )
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        print(f"script failed: {result.returncode}")
        return 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps(summary))

    got = np.loadtxt(out, delimiter=",", skiprows=1, dtype=str, ndmin=2)
    failures = 0
    used = yaml.safe_load((policy / "england.yaml").read_text())["parameters"]
    fakes_in_use = all(
        str(used[name]["values"][-1]["value"]) == FAKE[name] for name in FAKE
    )
    if fakes_in_use:
        for i, (r, expected) in enumerate(HAND):
            ok = got[i, 0] == r["id"] and got[i, 1] == expected
            failures += not ok
            print(f"{r['id']}: expected {expected}, got {got[i, 1]} {'ok' if ok else 'FAIL'}")
    else:
        print("hand rows skipped: the MIG figures in use are not the fake ones")

    if not args.no_reference:
        ids, exact = exact_reference(cases, policy)
        assert (ids == got[:, 0]).all(), "ids out of order"
        of = np.array([pence(t) for t in got[:, 1].tolist()], dtype=np.int64)
        differ = np.flatnonzero(of != exact)
        print(f"rows {len(ids)}; float32 vs exact pence: {len(differ)} differ")
        for i in differ[:10]:
            print(f"  {ids[i]}: openfisca {got[i, 1]} exact {exact[i] / 100:.2f}")
    sys.stdout.flush()
    print("PASS" if failures == 0 else f"FAIL ({failures})")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
