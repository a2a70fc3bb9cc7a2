"""HTTP helpers: entity tags and preconditions (paging comes from servicekit.pagination)."""

from __future__ import annotations

from servicekit.errors import Problem


def etag(prefix: str, version: int) -> str:
    """A strong entity tag for a resource version."""
    return f'"{prefix}{version}"'


def check_if_match(header: str | None, current: str, *, required: bool) -> None:
    """RFC 9110 If-Match: 428 when required and absent, 412 when no tag matches."""
    if header is None or not header.strip():
        if required:
            raise Problem(
                428,
                "Precondition Required",
                "send If-Match with the ETag of the version you read",
            )
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise Problem(
        412,
        "Precondition Failed",
        "the resource changed since you read it; read it again and retry",
        current_etag=current,
    )
