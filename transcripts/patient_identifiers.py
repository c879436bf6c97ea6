"""Patient identifiers in text meant for a huddle: caught before they are stored or spread.

NHS guidance on messaging apps: a huddle is not the clinical record, so patient information is kept to
a minimum — a bed or bay alone, or initials, say enough. Three things identify a patient and are
caught here: an NHS number (ten digits in the usual spacings, and valid only if its modulus-11 check
digit is — so a ward's extension or a stock code is not mistaken for one), a date of birth beside a
name, and a bed or bay number beside a name.

A "name" is a title and a surname ("Mrs Jones") or two capitalised words that are not everyday
ward words ("John Smith", not "Falls Risk"); initials ("JS") are what staff are asked to use instead,
so they are never a name here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NHS_NUMBER = "NHS number"
DATE_OF_BIRTH = "date of birth beside a name"
BED_AND_NAME = "bed or bay beside a name"

ADVICE = "Refer to the patient by bed or bay alone, or by initials; the clinical record holds the rest."

_NHS = re.compile(r"(?<![\d])(\d{3})[ \-]?(\d{3})[ \-]?(\d{4})(?![\d])")
_TITLE_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master)\.?\s+[A-Z][a-z'\-]+")
_TWO_WORDS = re.compile(r"\b([A-Z][a-z'\-]{1,})\s+([A-Z][a-z'\-]{1,})\b")
_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")
_DOB_WORD = re.compile(r"\b(?:DOB|D\.O\.B\.?|date of birth|born)\b", re.IGNORECASE)
_BED = re.compile(r"\b(?:bed|bay|side\s?room|cubicle|room)\s*[#:]?\s*\d{1,3}[a-z]?\b", re.IGNORECASE)
_NEAR = 40  # characters between a name and a date or bed that still reads as "beside"

# Capitalised words that start sentences or name places, roles and clinical things on a ward, so that
# "Falls Risk" or "Night Staff" is not taken for a person.
_NOT_NAMES = {
    w.lower()
    for w in """
    The A An And But Or If In On At To For Of From With By No Not Yes All Any Some This That These Those
    There Here Today Tomorrow Yesterday Tonight Morning Afternoon Evening Night Nights Day Days Early Late
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
    August September October November December Bed Bay Side Room Ward Unit Theatre Theatres Clinic Team
    Staff Staffing Nurse Nurses Sister Charge Matron Doctor Consultant Registrar Reg Porter Porters Agency
    Bank HCA HCAs Physio OT Pharmacy Pharmacist Falls Fall Risk Risks Pressure Ulcer Ulcers Sepsis Patient
    Patients Safety Huddle Incident Incidents Concern Concerns Equipment Beds Flow Discharge Discharges
    Admission Admissions Escalation Good News Handover Infection Control Covid Flu Norovirus Isolation
    Needs Need Needed Please Thanks Thank Hi Hello Update Plan Plans Action Actions Medication Meds Drug
    Drugs Pain End Life Care Palliative Level Opel High Low Medium Still New Old One Two Three Four Five
    """.split()
}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    text: str  # what was matched, for the person to find it in what they wrote


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus-11 check: weights 10..2 on the first nine digits; 11 means 0, 10 is never valid."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _names(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _TITLE_NAME.finditer(text)]
    for m in _TWO_WORDS.finditer(text):
        if m.group(1).lower() not in _NOT_NAMES and m.group(2).lower() not in _NOT_NAMES:
            spans.append(m.span())
    return spans


def _near(span: tuple[int, int], names: list[tuple[int, int]]) -> bool:
    start, end = span
    return any(n_start - _NEAR <= end and start <= n_end + _NEAR for n_start, n_end in names)


def find(text: str) -> list[Finding]:
    """Every patient identifier in `text`, in the order they appear."""
    found: list[tuple[int, Finding]] = []
    for m in _NHS.finditer(text):
        if nhs_number_valid("".join(m.groups())):
            found.append((m.start(), Finding(NHS_NUMBER, m.group(0))))
    names = _names(text)
    if names:
        dob_words = [m.span() for m in _DOB_WORD.finditer(text)]
        for m in _DATE.finditer(text):
            year = m.group(3)
            labelled = any(w_end <= m.start() and m.start() - w_end <= 12 for _, w_end in dob_words)
            birth_year = len(year) == 4 and 1900 <= int(year) <= 2015
            if (labelled or birth_year) and _near(m.span(), names):
                found.append((m.start(), Finding(DATE_OF_BIRTH, m.group(0))))
        for m in _BED.finditer(text):
            if _near(m.span(), names):
                found.append((m.start(), Finding(BED_AND_NAME, m.group(0))))
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


def describe(findings: list[Finding]) -> str:
    """One sentence for a form's field error or a private warning: what looks like an identifier, and what to do."""
    kinds = list(dict.fromkeys(f"{f.kind} ({f.text})" for f in findings))
    return f"This looks like patient-identifiable information: {'; '.join(kinds)}. {ADVICE}"
