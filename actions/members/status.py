"""What a member's file says, as the member is told it (pure, no Rasa import).

How a member pays decides both what "up to date" means and what to do next
(knowledge/amo-facts.md sections 2, 6.2, 6.4 and 10):
- TNS who pay the CNSS directly (traders, artisans, liberal professions, farmers):
  monthly, through the CNSS TNS payment link or at proximity points;
- CPU payers: the AMO part (droit complémentaire) goes to the DGI with the CPU,
  auto-entrepreneurs pay it with their tax; both quarterly or yearly;
- AMO Achamil: monthly, by direct debit from the account given at registration,
  due from the first day of the month (so the month under way is owed);
- salaried workers: through their employer's declaration;
- AMO Tadamon: nothing, the State pays.
The period the member chose, when their file records it (`Member.payment_period`),
decides alone; otherwise every period the channel allows is considered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Dict, Optional, Tuple

CATEGORIES = (
    "trader", "artisan", "auto_entrepreneur", "cpu", "liberal", "farmer", "achamil", "salaried", "tadamon",
)
REGISTRATION_STATUSES = ("pending_validation", "incomplete", "active", "suspended", "rejected")
BENEFICIARY_TYPES = ("spouse", "child", "student_child", "disabled_child")
BENEFICIARY_STATUSES = ("active", "pending")
# The codes below have labels in knowledge/labels/file_status.yml; they come from facts §4 and §11.
DOCUMENT_CODES = (
    "cin_copy", "cnie_number", "idcs", "rib", "phone_number", "id_photos",
    "form_321_1_06", "form_328_1_01", "signature",
)
REJECTION_REASONS = ("already_insured", "rsu_conditions_not_met")

# Who the member pays, by category.
CHANNEL_CNSS = "cnss"  # the TNS payment link or proximity points
CHANNEL_DGI = "dgi"  # with the CPU
CHANNEL_TAX = "tax"  # with the auto-entrepreneur's tax
CHANNEL_DEBIT = "debit"  # Achamil direct debit
CHANNEL_EMPLOYER = "employer"
CHANNEL_STATE = "state"  # Tadamon: nothing to pay
CHANNELS = {
    "trader": CHANNEL_CNSS,
    "artisan": CHANNEL_CNSS,
    "liberal": CHANNEL_CNSS,
    "farmer": CHANNEL_CNSS,
    "cpu": CHANNEL_DGI,
    "auto_entrepreneur": CHANNEL_TAX,
    "achamil": CHANNEL_DEBIT,
    "salaried": CHANNEL_EMPLOYER,
    "tadamon": CHANNEL_STATE,
}
# The periods a channel allows; the member's own choice, when recorded, narrows it.
CHANNEL_PERIODS = {
    CHANNEL_CNSS: ("monthly",),
    CHANNEL_DGI: ("quarterly", "yearly"),
    CHANNEL_TAX: ("quarterly", "yearly"),
    CHANNEL_DEBIT: ("monthly",),
    CHANNEL_EMPLOYER: ("monthly",),
    CHANNEL_STATE: (),
}
# When a period is owed (§6.4, Gap 3). Achamil's month is "due from the first day of the
# month": on the 15th, the month under way must be paid. For every other channel the facts
# give no deadline inside a period (TNS who pay the CNSS monthly: NOT FOUND; CPU payers,
# auto-entrepreneurs, employers: none given), so a period is owed once it is over and the
# one under way may still be paid.
OWED_FROM_FIRST_DAY = frozenset({CHANNEL_DEBIT})

# Contribution standings.
UP_TO_DATE = "up_to_date"
LATE = "late"
# Paid up to the last year but not the last quarter: late only for a quarterly payer,
# and the file does not say which the member chose.
DEPENDS_ON_PERIOD = "depends_on_period"

# The next step for a member who must pay (late, or suspended), and for one who has
# nothing more to do, by channel (responses utter_file_status_next_<step>).
PAY_STEP = {
    CHANNEL_CNSS: "pay_contributions",
    CHANNEL_DGI: "pay_with_cpu",
    CHANNEL_TAX: "pay_with_tax",
    CHANNEL_DEBIT: "check_direct_debit",
    CHANNEL_EMPLOYER: "ask_employer",
    CHANNEL_STATE: "contact_cnss",  # Tadamon owes nothing: a suspension is the CNSS's to explain
}
NOTHING_STEP = {
    CHANNEL_CNSS: "nothing_to_do",
    CHANNEL_DGI: "nothing_to_do_cpu",
    CHANNEL_TAX: "nothing_to_do_tax",
    CHANNEL_DEBIT: "nothing_to_do_debit",
    CHANNEL_EMPLOYER: "nothing_to_do_employer",
    CHANNEL_STATE: "nothing_to_do_tadamon",
}


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
    # How often the member pays, as recorded in the file: one of the periods the channel
    # allows (CHANNEL_PERIODS; CPU payers and auto-entrepreneurs choose quarterly or
    # yearly); None: not recorded, every period the channel allows is considered.
    payment_period: Optional[str] = None

    def __post_init__(self) -> None:
        checks = {
            "category": (self.category, CATEGORIES),
            "registration_status": (self.registration_status, REGISTRATION_STATUSES),
            "rejection_reason": (self.rejection_reason, REJECTION_REASONS + (None,)),
        }
        for name, (value, allowed) in checks.items():
            if value not in allowed:
                raise CorruptRecord(f"unknown {name} {value!r}")
        if self.payment_period is not None and self.payment_period not in CHANNEL_PERIODS[self.channel]:
            raise CorruptRecord(f"payment period {self.payment_period!r} for a {self.category} member")
        for code in self.missing_documents:
            if code not in DOCUMENT_CODES:
                raise CorruptRecord(f"unknown document code {code!r}")
        for beneficiary in self.beneficiaries:
            if beneficiary.type not in BENEFICIARY_TYPES or beneficiary.status not in BENEFICIARY_STATUSES:
                raise CorruptRecord(f"unknown beneficiary {beneficiary.type!r}/{beneficiary.status!r}")

    @property
    def channel(self) -> str:
        return CHANNELS[self.category]

    @property
    def periods(self) -> Tuple[str, ...]:
        return (self.payment_period,) if self.payment_period else CHANNEL_PERIODS[self.channel]


@dataclass(frozen=True)
class FileStatus:
    state: str  # one of REGISTRATION_STATUSES
    state_date: date
    missing_documents: Tuple[str, ...]
    rights_open_since: Optional[date]
    beneficiaries: Dict[str, int]  # declared beneficiaries by type; no names
    contributions_paid_until: Optional[date]
    contributions_standing: Optional[str]  # UP_TO_DATE, LATE, DEPENDS_ON_PERIOD; None: nothing due or not known
    rejection_reason: Optional[str]
    next_step: str
    channel: str = CHANNEL_CNSS
    # The period the standing was judged by; None when the file does not say and the
    # channel allows several (or nothing is paid).
    payment_period: Optional[str] = None

    @property
    def contributions_up_to_date(self) -> Optional[bool]:
        """True, False, or None when nothing is due, nothing is known or it depends."""
        return {UP_TO_DATE: True, LATE: False}.get(self.contributions_standing)


def file_status(member: Member, today: date) -> FileStatus:
    """The member's file as of `today`."""
    counts: Dict[str, int] = {}
    for beneficiary in member.beneficiaries:
        counts[beneficiary.type] = counts.get(beneficiary.type, 0) + 1
    standing = contributions_standing(
        member.contributions_paid_until, member.periods, today,
        owed_from_first_day=member.channel in OWED_FROM_FIRST_DAY,
    )
    return FileStatus(
        state=member.registration_status,
        state_date=member.status_date,
        missing_documents=member.missing_documents,
        rights_open_since=member.rights_open_since if member.registration_status == "active" else None,
        beneficiaries=counts,
        contributions_paid_until=member.contributions_paid_until,
        contributions_standing=standing,
        rejection_reason=member.rejection_reason if member.registration_status == "rejected" else None,
        next_step=next_step(member.registration_status, member.channel, standing),
        channel=member.channel,
        payment_period=member.periods[0] if len(member.periods) == 1 else None,
    )


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def last_due_month(period: str, today: date, owed_from_first_day: bool = False) -> int:
    """The month (as year*12 + month-1) up to which a payer by `period` must have paid.

    By default a period is owed once it is over: monthly, last month; quarterly, the last
    month of the last quarter that ended; yearly, December of last year. A period owed
    from its first day (Achamil's month, OWED_FROM_FIRST_DAY) counts the period under way
    too: on 15 November, November.
    """
    if period not in PERIOD_MONTHS:
        raise ValueError(period)
    length = PERIOD_MONTHS[period]
    last_over = _month_index(today) - (today.month - 1) % length - 1
    return last_over + length if owed_from_first_day else last_over


def contributions_standing(
    paid_until: Optional[date], periods: Tuple[str, ...], today: date, owed_from_first_day: bool = False,
) -> Optional[str]:
    """UP_TO_DATE when paid for every period owed under the strictest allowed rule,
    LATE when not even under the most lenient one, DEPENDS_ON_PERIOD in between."""
    if paid_until is None or not periods:
        return None
    paid = _month_index(paid_until)
    due = [last_due_month(period, today, owed_from_first_day) for period in periods]
    if paid >= max(due):
        return UP_TO_DATE
    if paid < min(due):
        return LATE
    return DEPENDS_ON_PERIOD


def next_step(state: str, channel: str, standing: Optional[str]) -> str:
    if state == "active":
        # DEPENDS_ON_PERIOD: where and how to pay, which is the same for either period.
        return PAY_STEP[channel] if standing in (LATE, DEPENDS_ON_PERIOD) else NOTHING_STEP[channel]
    if state == "suspended":
        return PAY_STEP[channel]
    return {
        "pending_validation": "wait_for_validation",
        "incomplete": "send_missing_documents",
        "rejected": "contact_cnss",
    }[state]


def contributions_answer(status: FileStatus) -> Optional[str]:
    """The contributions line of an active file (responses utter_file_status_contributions_<answer>):
    the standing, with the period it was judged by ("late_quarterly") when that is known.

    The employer's line names no period: the facts do not say how often an employer
    declares (§2.1), and the member does not pay it themselves."""
    standing = status.contributions_standing
    if status.state != "active" or standing is None:
        return None
    if status.channel == CHANNEL_EMPLOYER:
        return "late_employer" if standing == LATE else standing
    if standing == DEPENDS_ON_PERIOD or status.payment_period is None:
        return standing
    return f"{standing}_{status.payment_period}"
