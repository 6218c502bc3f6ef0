"""What a member's file says, as the member is told it (pure, no Rasa import)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Dict, Optional, Tuple

CATEGORIES = ("trader", "artisan", "auto_entrepreneur", "cpu", "liberal", "farmer", "achamil", "salaried")
REGISTRATION_STATUSES = ("pending_validation", "incomplete", "active", "suspended", "rejected")
BENEFICIARY_TYPES = ("spouse", "child", "student_child", "disabled_child")
BENEFICIARY_STATUSES = ("active", "pending")
# The codes below have labels in knowledge/labels/file_status.yml; they come from facts §4 and §11.
DOCUMENT_CODES = (
    "cin_copy", "cnie_number", "idcs", "rib", "phone_number", "id_photos",
    "form_321_1_06", "form_328_1_01", "signature",
)
REJECTION_REASONS = ("already_insured", "rsu_conditions_not_met")


class CorruptRecord(ValueError):
    """A row holds a value the rules do not know; it is never shown half-read."""


@dataclass(frozen=True)
class Beneficiary:
    type: str
    birth_date: date
    status: str


@dataclass(frozen=True)
class Member:
    immatriculation: str
    cin: Optional[str]
    birth_date: date
    category: str
    registration_status: str
    status_date: date
    missing_documents: Tuple[str, ...] = ()
    rights_open_since: Optional[date] = None
    contributions_paid_until: Optional[date] = None
    rejection_reason: Optional[str] = None
    beneficiaries: Tuple[Beneficiary, ...] = field(default=())

    def __post_init__(self) -> None:
        checks = {
            "category": (self.category, CATEGORIES),
            "registration_status": (self.registration_status, REGISTRATION_STATUSES),
            "rejection_reason": (self.rejection_reason, REJECTION_REASONS + (None,)),
        }
        for name, (value, allowed) in checks.items():
            if value not in allowed:
                raise CorruptRecord(f"unknown {name} {value!r}")
        for code in self.missing_documents:
            if code not in DOCUMENT_CODES:
                raise CorruptRecord(f"unknown document code {code!r}")
        for beneficiary in self.beneficiaries:
            if beneficiary.type not in BENEFICIARY_TYPES or beneficiary.status not in BENEFICIARY_STATUSES:
                raise CorruptRecord(f"unknown beneficiary {beneficiary.type!r}/{beneficiary.status!r}")


@dataclass(frozen=True)
class FileStatus:
    state: str  # one of REGISTRATION_STATUSES
    state_date: date
    missing_documents: Tuple[str, ...]
    rights_open_since: Optional[date]
    beneficiaries: Dict[str, int]  # declared beneficiaries by type; no names
    contributions_paid_until: Optional[date]
    contributions_up_to_date: Optional[bool]  # None: nothing due yet or not known
    rejection_reason: Optional[str]
    next_step: str


def file_status(member: Member, today: date) -> FileStatus:
    """The member's file as of `today`."""
    counts: Dict[str, int] = {}
    for beneficiary in member.beneficiaries:
        counts[beneficiary.type] = counts.get(beneficiary.type, 0) + 1
    up_to_date = _contributions_up_to_date(member.contributions_paid_until, today)
    return FileStatus(
        state=member.registration_status,
        state_date=member.status_date,
        missing_documents=member.missing_documents,
        rights_open_since=member.rights_open_since if member.registration_status == "active" else None,
        beneficiaries=counts,
        contributions_paid_until=member.contributions_paid_until,
        contributions_up_to_date=up_to_date,
        rejection_reason=member.rejection_reason if member.registration_status == "rejected" else None,
        next_step=_next_step(member.registration_status, up_to_date),
    )


def _contributions_up_to_date(paid_until: Optional[date], today: date) -> Optional[bool]:
    """Paid at least up to last month: the current month may still be paid."""
    if paid_until is None:
        return None
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return paid_until >= last_month


def _next_step(state: str, contributions_up_to_date: Optional[bool]) -> str:
    if state == "active":
        return "pay_contributions" if contributions_up_to_date is False else "nothing_to_do"
    return {
        "pending_validation": "wait_for_validation",
        "incomplete": "send_missing_documents",
        "suspended": "pay_contributions",
        "rejected": "contact_cnss",
    }[state]
