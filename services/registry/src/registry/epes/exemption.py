"""Which EPEs must meet Appendix I's minimum technical requirements (Decision 247, I.1.3).

I.1.3.a exempts (1) EPEs whose Investment Registration Certificate (or the competent authority's
written document) predates the effective date of Decree 18/2021/ND-CP, 2021-04-25, and (2) EPEs
established after that date and before the Decision's effective date, 2022-03-02 (it applies
from signature), that operate and have camera systems. I.1.3.b covers EPEs established after the
Decision's effective date.

Readings the text leaves open, decided here and documented in docs/registry.md:
- a certificate dated exactly 2021-04-25 was not granted *before* the Decree's effective date,
  so it falls in the second window (exempt only with cameras operating);
- a certificate dated 2022-03-02 is not *before* the Decision's effective date: I.1.3.b;
- an EPE of the second window without cameras operating on 2022-03-02 is not covered by the
  exemption, which is conditional on operating cameras; the text names no other regime, so the
  minimum requirements apply (category I.1.3.b), as DOMAIN.md says ("others").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

DECREE_18_EFFECTIVE = date(2021, 4, 25)
DECISION_247_EFFECTIVE = date(2022, 3, 2)


class ExemptionCategory(StrEnum):
    """I.1.3.a (exempt from the minimum requirements) or I.1.3.b (must meet Appendix I)."""

    EXEMPT = "I.1.3.a"
    MUST_CONFORM = "I.1.3.b"


@dataclass(frozen=True)
class Exemption:
    """The computed category with the reason, in words an officer can check."""

    category: ExemptionCategory
    reason: str

    @property
    def exempt(self) -> bool:
        return self.category is ExemptionCategory.EXEMPT


def compute_exemption(
    *, certificate_date: date, cameras_operating_at_effective_date: bool
) -> Exemption:
    """Apply I.1.3 to an EPE's certificate date and whether its cameras were operating."""
    if certificate_date < DECREE_18_EFFECTIVE:
        return Exemption(
            ExemptionCategory.EXEMPT,
            f"investment certificate dated {certificate_date.isoformat()}, before Decree "
            f"18/2021/ND-CP took effect on {DECREE_18_EFFECTIVE.isoformat()} (I.1.3.a)",
        )
    if certificate_date < DECISION_247_EFFECTIVE:
        if cameras_operating_at_effective_date:
            return Exemption(
                ExemptionCategory.EXEMPT,
                f"established on {certificate_date.isoformat()}, between "
                f"{DECREE_18_EFFECTIVE.isoformat()} and the Decision's effective date "
                f"{DECISION_247_EFFECTIVE.isoformat()}, and operating a camera system then "
                "(I.1.3.a)",
            )
        return Exemption(
            ExemptionCategory.MUST_CONFORM,
            f"established on {certificate_date.isoformat()}, between "
            f"{DECREE_18_EFFECTIVE.isoformat()} and {DECISION_247_EFFECTIVE.isoformat()}, "
            "but without a camera system operating on the Decision's effective date, so the "
            "I.1.3.a exemption does not apply and Appendix I must be met (I.1.3.b)",
        )
    return Exemption(
        ExemptionCategory.MUST_CONFORM,
        f"established on {certificate_date.isoformat()}, on or after the Decision's effective "
        f"date {DECISION_247_EFFECTIVE.isoformat()}: Appendix I must be met (I.1.3.b)",
    )
