"""The patient-identifier detector: NHS numbers only with a valid check digit; dates and beds only beside a name."""

from __future__ import annotations

import pytest

from transcripts.patient_identifiers import BED_AND_NAME, DATE_OF_BIRTH, NHS_NUMBER, find, nhs_number_valid


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "9876543210", "4505577104"])
def test_valid_nhs_numbers_pass_the_modulus_11_check(number: str) -> None:
    assert nhs_number_valid(number)


@pytest.mark.parametrize(
    "number",
    ["9434765918", "9434765910", "1234567890", "123456789", "94347659190", "943476591X"],
)
def test_numbers_with_a_wrong_check_digit_or_length_are_not_nhs_numbers(number: str) -> None:
    assert not nhs_number_valid(number)


def _weighted(nine: str) -> int:
    return sum(int(c) * w for c, w in zip(nine, range(10, 1, -1), strict=True))


def test_a_number_whose_check_digit_would_be_ten_is_never_valid() -> None:
    nine = next(f"{n:09d}" for n in range(1, 10**6) if _weighted(f"{n:09d}") % 11 == 1)
    assert not any(nhs_number_valid(nine + str(d)) for d in range(10))


@pytest.mark.parametrize("written", ["943 476 5919", "943-476-5919", "9434765919", "NHS no 943 476 5919"])
def test_nhs_numbers_are_found_in_the_usual_spacings(written: str) -> None:
    assert [f.kind for f in find(f"Pt in bay 2, {written}, needs review")] == [NHS_NUMBER]


def test_the_issue_example_finds_all_three() -> None:
    found = find("Bed 4 John Smith DOB 01/02/1950 NHS no 943 476 5919")
    assert [(f.kind, f.text) for f in found] == [
        (BED_AND_NAME, "Bed 4"),
        (DATE_OF_BIRTH, "01/02/1950"),
        (NHS_NUMBER, "943 476 5919"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2: bay 3 falls risk",
        "Bay 4 Falls Risk tonight",
        "JS in bay 2 needs review",  # initials, as staff are asked to write
        "943 476 5918 is the stock code",  # fails the check digit
        "Staffing: Night Staff short, Bed 5 closed",
        "Meeting on 01/02/2026 about Bed 4",
        "call ext 2345 6789",
        "",
    ],
)
def test_ward_talk_without_a_patient_is_not_flagged(text: str) -> None:
    assert find(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mrs Jones in bed 12 is for discharge", BED_AND_NAME),
        ("side room 3: Peter Parker, confused overnight", BED_AND_NAME),
        ("born 3/4/1938 Peter Parker", DATE_OF_BIRTH),
        ("Mr Patel d.o.b. 12.10.45 in for review", DATE_OF_BIRTH),
    ],
)
def test_a_date_of_birth_or_bed_beside_a_name_is_flagged(text: str, kind: str) -> None:
    assert kind in [f.kind for f in find(text)]
