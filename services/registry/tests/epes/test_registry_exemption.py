"""The exemption category (I.1.3) is computed from the certificate date and operating cameras."""

from datetime import date

import pytest

from registry.epes.exemption import ExemptionCategory, compute_exemption

A, B = ExemptionCategory.EXEMPT, ExemptionCategory.MUST_CONFORM


@pytest.mark.parametrize(
    ("certificate", "operating", "category", "in_reason"),
    [
        (date(2015, 1, 1), False, A, "before Decree 18/2021"),
        (date(2021, 4, 24), False, A, "before Decree 18/2021"),
        (date(2021, 4, 24), True, A, "before Decree 18/2021"),
        # the Decree's effective day itself is not "before" it: second window
        (date(2021, 4, 25), True, A, "operating a camera system"),
        (date(2021, 4, 25), False, B, "without a camera system operating"),
        (date(2022, 3, 1), True, A, "operating a camera system"),
        (date(2022, 3, 1), False, B, "without a camera system operating"),
        # the Decision applies from the day it was signed
        (date(2022, 3, 2), True, B, "on or after the Decision's effective date"),
        (date(2024, 6, 1), True, B, "on or after the Decision's effective date"),
        (date(2024, 6, 1), False, B, "Appendix I must be met"),
    ],
)
def test_category_and_reason(certificate, operating, category, in_reason):
    result = compute_exemption(
        certificate_date=certificate, cameras_operating_at_effective_date=operating
    )
    assert result.category is category
    assert result.exempt is (category is A)
    assert in_reason in result.reason
    assert certificate.isoformat() in result.reason
