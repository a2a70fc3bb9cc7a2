"""The committed contracts are exactly what the code generates (`make contracts` fixes a diff)."""

from servicekit.contracts import differences, generate


def test_committed_contracts_match_the_code():
    stale = differences(generate())
    assert not stale, f"contracts differ from the code; run `make contracts`: {stale}"
