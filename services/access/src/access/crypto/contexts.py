"""The associated-data context of every sealed value, named once.

A value sealed under one context opens only under the same one, so sealing, opening and
re-wrapping must agree on these strings exactly.
"""


def signing_context(kid: str) -> str:
    """A token signing key's private part."""
    return f"signing:{kid}"


def totp_context(user_id: object) -> str:
    """An officer's TOTP secret."""
    return f"totp:{user_id}"


def vault_context(entry_id: object, version: int) -> str:
    """One version of a vault entry's secret."""
    return f"vault:{entry_id}:{version}"
