#!/usr/bin/env python3
"""England non-residential (care at home) charging rule, written once in OpenFisca.

This is a BENCHMARK COMPARISON used by `onebudget bench assess --openfisca`. It is not
part of the onebudget product and nothing in the product depends on it.

    python3 england_non_residential.py --cases CASES.csv --out CHARGES.csv \
        --date 2024-10-01 --policy-dir /work/main/policy

The figures come from onebudget's own policy files (policy/england.yaml and
policy/uk/benefits.yaml) and are loaded, with their whole history, into an OpenFisca
ParameterNode; the formulas read them with `parameters(period)`. Each person is a
single entity; the period is the day given by --date, so OpenFisca picks exactly the
figures in force on that day. Amounts are weekly pounds. Money variables use OpenFisca's
default `value_type = float`, which OpenFisca stores as numpy float32.

Output: CHARGES.csv with `id,weekly_charge`, the float32 charge printed with "%.2f", and,
as the last line of stdout, one JSON object with the case count and the timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from openfisca_core import periods
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

DAY = periods.DateUnit.DAY

# --------------------------------------------------------------------------------------
# Parameters: which onebudget policy parameters the rule reads, and from which file.
# --------------------------------------------------------------------------------------

ENGLAND_PARAMETERS = [
    "capital.upper_limit",
    "capital.lower_limit",
    "capital.tariff_band",
    "capital.tariff_per_band",
    "mig.single.age_18_24",
    "mig.single.age_25_to_pension_credit_age",
    "mig.single.pension_credit_age",
    "mig.couple.age_18_plus_each",
    "mig.couple.pension_credit_age_each",
    "mig.disability_premium.single",
    "mig.disability_premium.couple_each",
    "mig.enhanced_disability_premium.single",
    "mig.enhanced_disability_premium.couple_each",
    "mig.carer_premium",
    "mig.dependent_child",
]
BENEFIT_PARAMETERS = [
    "attendance_allowance.lower",
    "attendance_allowance.higher",
    "dla_care.middle",
    "dla_care.highest",
    "pip_daily_living.standard",
    "pip_daily_living.enhanced",
]
# (file under --policy-dir, node name the formulas use, parameter names)
PARAMETER_SOURCES = [
    ("england.yaml", "england", ENGLAND_PARAMETERS),
    ("uk/benefits.yaml", "benefits", BENEFIT_PARAMETERS),
]


class PolicyError(Exception):
    pass


def _as_date(value, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise PolicyError(f"{where}: `from` is not a date: {value!r}") from error


def _set_path(tree: dict, dotted: str, leaf: dict) -> None:
    *branches, name = dotted.split(".")
    for branch in branches:
        tree = tree.setdefault(branch, {})
    tree[name] = leaf


def load_parameters(policy_dir: Path, on: dt.date) -> ParameterNode:
    """Build an OpenFisca ParameterNode from onebudget's policy YAML.

    Every value of every needed parameter goes into the node with its `from` date, so
    OpenFisca's own instant lookup chooses the figure in force. Before that, check that
    each needed parameter exists and has a (non-null) value in force on `on`, and fail
    naming the parameter if not.
    """
    data: dict = {}
    for file_name, node_name, names in PARAMETER_SOURCES:
        path = policy_dir / file_name
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise PolicyError(f"cannot read policy file {path}: {error}") from error
        parameters = (document or {}).get("parameters") or {}
        node: dict = {}
        for name in names:
            entry = parameters.get(name)
            if entry is None:
                raise PolicyError(
                    f"parameter {name} is missing from {path}; the OpenFisca benchmark "
                    f"needs it (value in force on {on.isoformat()})"
                )
            values = entry.get("values") or []
            history: dict = {}
            in_force = None
            seen_any = False
            for item in values:
                start = _as_date(item.get("from"), f"{path}: {name}")
                raw = item.get("value")
                # A figure onebudget's policy marks "unknown" (not yet found in a source)
                # becomes 0: onebudget refuses cases that need it and the benchmark leaves
                # those cases out. (Not NaN: vectorised formulas multiply every figure by
                # a 0/1 flag, and NaN times 0 is NaN.)
                if raw == "unknown":
                    amount = 0.0
                else:
                    amount = None if raw is None else float(str(raw))
                history[start.isoformat()] = {"value": amount}
                if start <= on:
                    in_force = amount
                    seen_any = True
            if not seen_any or in_force is None:
                raise PolicyError(
                    f"parameter {name} in {path} has no value in force on {on.isoformat()}"
                )
            _set_path(
                node,
                name,
                {"description": entry.get("description", name), "values": history},
            )
        data[node_name] = node
    return ParameterNode("", data=data)


# --------------------------------------------------------------------------------------
# Entities and variables.
# --------------------------------------------------------------------------------------

Person = build_entity(
    key="person",
    plural="persons",
    label="A person whose care at home is being charged for",
    is_person=True,
)


def _input(name: str, value_type, label: str):
    return type(
        name,
        (Variable,),
        {
            "value_type": value_type,
            "entity": Person,
            "definition_period": DAY,
            "label": label,
        },
    )


# Input columns of the cases CSV, in header order, with their OpenFisca value types.
INPUT_COLUMNS = [
    ("age_years", int, "Age in whole years"),
    ("pension_credit_age", bool, "Has reached Pension Credit qualifying age"),
    ("couple", bool, "Member of a couple"),
    ("disability", bool, "Qualifies for the disability premium"),
    ("enhanced_disability", bool, "Qualifies for the enhanced disability premium"),
    ("carer", bool, "Qualifies for the carer premium"),
    ("dependent_children", int, "Number of dependent children"),
    ("savings", float, "Savings (capital), pounds"),
    ("state_pension", float, "State Pension, weekly"),
    ("private_pension", float, "Private or occupational pension, weekly"),
    ("pension_credit_guarantee", float, "Pension Credit guarantee credit, weekly"),
    ("esa", float, "Employment and Support Allowance, weekly"),
    ("universal_credit", float, "Universal Credit, weekly"),
    ("carers_allowance", float, "Carer's Allowance, weekly"),
    ("earnings", float, "Earnings, weekly (disregarded)"),
    ("attendance_allowance_lower", float, "Attendance Allowance lower rate, weekly"),
    ("attendance_allowance_higher", float, "Attendance Allowance higher rate, weekly"),
    ("dla_care_middle", float, "DLA care component middle rate, weekly"),
    ("dla_care_highest", float, "DLA care component highest rate, weekly"),
    ("pip_daily_living_standard", float, "PIP daily living standard rate, weekly"),
    ("pip_daily_living_enhanced", float, "PIP daily living enhanced rate, weekly"),
    ("pip_mobility_standard", float, "PIP mobility standard rate, weekly (disregarded)"),
    ("dla_mobility_higher", float, "DLA mobility higher rate, weekly (disregarded)"),
    ("housing_costs", float, "Housing costs allowed, weekly"),
    ("dre", float, "Disability-related expenditure allowed, weekly"),
    ("cost_of_care", float, "Weekly cost of the care and support"),
    ("night_care_provided", bool, "The council arranges night care"),
    ("disregard_night_care_element", bool, "Council disregards the night-care element"),
]
CSV_COLUMNS = ["id"] + [name for name, _, _ in INPUT_COLUMNS]

INPUT_VARIABLES = [_input(name, value_type, label) for name, value_type, label in INPUT_COLUMNS]


class capital(Variable):
    value_type = float
    entity = Person
    definition_period = DAY
    label = "Capital taken into account"

    def formula(person, period, parameters):
        return person("savings", period)


class tariff_income(Variable):
    value_type = float
    entity = Person
    definition_period = DAY
    label = "Tariff income from capital between the lower and upper limits, weekly"
    reference = "https://www.legislation.gov.uk/uksi/2014/2672/regulation/25"

    def formula(person, period, parameters):
        p = parameters(period).england.capital
        capital = person("capital", period)
        bands = np.ceil((capital - p.lower_limit) / p.tariff_band)
        return np.where(capital <= p.lower_limit, 0, bands * p.tariff_per_band)


def _less_night_care(amount, element, applies):
    """The top-rate amount less the night-care element, floored at 0, where it applies."""
    return np.where(applies * (amount > 0), np.maximum(amount - element, 0), amount)


def not_(array):
    return np.logical_not(array)


class counted_income(Variable):
    value_type = float
    entity = Person
    definition_period = DAY
    label = "Weekly income taken into account (earnings and mobility components ignored)"

    def formula(person, period, parameters):
        b = parameters(period).benefits
        disregard_night = person("disregard_night_care_element", period) * not_(
            person("night_care_provided", period)
        )
        aa_higher = _less_night_care(
            person("attendance_allowance_higher", period),
            b.attendance_allowance.higher - b.attendance_allowance.lower,
            disregard_night,
        )
        dla_highest = _less_night_care(
            person("dla_care_highest", period),
            b.dla_care.highest - b.dla_care.middle,
            disregard_night,
        )
        pip_enhanced = _less_night_care(
            person("pip_daily_living_enhanced", period),
            b.pip_daily_living.enhanced - b.pip_daily_living.standard,
            disregard_night,
        )
        return (
            person("state_pension", period)
            + person("private_pension", period)
            + person("pension_credit_guarantee", period)
            + person("esa", period)
            + person("universal_credit", period)
            + person("carers_allowance", period)
            + person("attendance_allowance_lower", period)
            + aa_higher
            + person("dla_care_middle", period)
            + dla_highest
            + person("pip_daily_living_standard", period)
            + pip_enhanced
        )


class minimum_income_guarantee(Variable):
    value_type = float
    entity = Person
    definition_period = DAY
    label = "Minimum income guarantee, weekly"
    reference = "https://www.legislation.gov.uk/uksi/2014/2672/regulation/7"

    def formula(person, period, parameters):
        mig = parameters(period).england.mig
        couple = person("couple", period)
        pension_age = person("pension_credit_age", period)
        under_25 = person("age_years", period) < 25
        single_base = np.where(
            pension_age,
            mig.single.pension_credit_age,
            np.where(under_25, mig.single.age_18_24, mig.single.age_25_to_pension_credit_age),
        )
        couple_base = np.where(
            pension_age, mig.couple.pension_credit_age_each, mig.couple.age_18_plus_each
        )
        base = np.where(couple, couple_base, single_base)
        disability = np.where(
            couple, mig.disability_premium.couple_each, mig.disability_premium.single
        )
        enhanced = np.where(
            couple,
            mig.enhanced_disability_premium.couple_each,
            mig.enhanced_disability_premium.single,
        )
        return (
            base
            + person("disability", period) * disability
            + person("enhanced_disability", period) * enhanced
            + person("carer", period) * mig.carer_premium
            + person("dependent_children", period) * mig.dependent_child
        )


class assessable_income(Variable):
    value_type = float
    entity = Person
    definition_period = DAY
    label = "Weekly income available to pay towards care"

    def formula(person, period, parameters):
        return np.maximum(
            person("counted_income", period)
            + person("tariff_income", period)
            - person("minimum_income_guarantee", period)
            - person("housing_costs", period)
            - person("dre", period),
            0,
        )


class weekly_charge(Variable):
    value_type = float
    entity = Person
    definition_period = DAY
    label = "Weekly charge for care at home"

    def formula(person, period, parameters):
        p = parameters(period).england.capital
        cost = person("cost_of_care", period)
        charge = np.where(
            person("capital", period) > p.upper_limit,
            cost,
            np.minimum(person("assessable_income", period), cost),
        )
        return charge + 0  # + 0 turns any -0.0 into 0.0


FORMULA_VARIABLES = [
    capital,
    tariff_income,
    counted_income,
    minimum_income_guarantee,
    assessable_income,
    weekly_charge,
]


class EnglandNonResidential(TaxBenefitSystem):
    def __init__(self, parameters: ParameterNode):
        super().__init__([Person])
        for variable in INPUT_VARIABLES + FORMULA_VARIABLES:
            self.add_variable(variable)
        self.parameters = parameters


# --------------------------------------------------------------------------------------
# CSV in and out.
# --------------------------------------------------------------------------------------

_NUMPY_TYPES = {int: np.int32, bool: np.int8, float: np.float64}


def read_cases(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    with path.open("r", encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise ValueError(f"{path}: missing column(s): {', '.join(missing)}")
    kinds = {name: value_type for name, value_type, _ in INPUT_COLUMNS}
    dtype = [
        (name, "O" if name == "id" else _NUMPY_TYPES[kinds[name]] if name in kinds else "U1")
        for name in header
    ]
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=dtype, ndmin=1)
    columns = {name: table[name] for name, _, _ in INPUT_COLUMNS}
    return table["id"], columns


def write_charges(path: Path, ids: np.ndarray, charges: np.ndarray) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("id,weekly_charge\n")
        # float(c) is the float32 value exactly; "%.2f" is the only rounding applied.
        handle.writelines(f"{i},{c:.2f}\n" for i, c in zip(ids.tolist(), charges.tolist()))


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", required=True, type=Path, help="input cases CSV")
    parser.add_argument("--out", required=True, type=Path, help="output charges CSV")
    parser.add_argument("--date", required=True, help="assessment date, YYYY-MM-DD")
    parser.add_argument("--policy-dir", required=True, type=Path, help="onebudget policy/")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="calculate this many times, each on a fresh simulation, and report the best",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        print(f"error: --repeat must be 1 or more, not {args.repeat}", file=sys.stderr)
        return 2

    try:
        on = dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"error: --date is not YYYY-MM-DD: {args.date}", file=sys.stderr)
        return 2
    try:
        parameters = load_parameters(args.policy_dir, on)
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    period = periods.period(on.isoformat())

    # (a) load: read the CSV, build the tax-benefit system and the simulation, set inputs.
    started = time.perf_counter()
    try:
        ids, columns = read_cases(args.cases)
    except (OSError, ValueError) as error:
        print(f"error: reading cases: {error}", file=sys.stderr)
        return 2
    read_done = time.perf_counter()
    tbs = EnglandNonResidential(parameters)
    count = len(ids)

    def loaded_simulation():
        simulation = SimulationBuilder().build_default_simulation(tbs, count)
        for name, value_type, _ in INPUT_COLUMNS:
            array = columns[name]
            if value_type is float:
                array = array.astype(np.float32)
            elif value_type is bool:
                array = array.astype(bool)
            simulation.set_input(name, period, array)
        return simulation

    simulation = loaded_simulation()
    loaded = time.perf_counter()

    # (b) compute, --repeat times. A simulation keeps what it has calculated, so each
    # repeat builds a fresh one (untimed) and times only its calculation, as onebudget
    # times only its passes.
    compute_seconds = []
    charges = None
    for _ in range(args.repeat):
        if charges is not None:
            simulation = loaded_simulation()
        began = time.perf_counter()
        result = simulation.calculate("weekly_charge", period)
        compute_seconds.append(time.perf_counter() - began)
        if charges is not None and not np.array_equal(charges, result):
            print("error: two calculations over the same cases disagreed", file=sys.stderr)
            return 1
        charges = result

    write_charges(args.out, ids, charges)

    print(
        f"read CSV {read_done - started:.3f}s, build simulation + set inputs "
        f"{loaded - read_done:.3f}s, calculate best {min(compute_seconds):.3f}s "
        f"of {len(compute_seconds)} (first {compute_seconds[0]:.3f}s)",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "cases": int(count),
                "load_seconds": round(loaded - started, 6),
                "compute_seconds": round(min(compute_seconds), 6),
                "first_compute_seconds": round(compute_seconds[0], 6),
                "repeats": len(compute_seconds),
                "openfisca_core": importlib.metadata.version("openfisca-core"),
                "value_type": str(charges.dtype),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
