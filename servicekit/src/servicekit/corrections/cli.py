"""`python -m servicekit.corrections apply <id>`: apply an approved direct data correction.

Run it with the target service's environment (its `<SERVICE>_DATABASE_URL` or `DATABASE_URL`,
as the backup job reads them) and the gateway's URL in `CAMWATCH_GATEWAY_URL`. It signs the IT
operator in by itself (a code to approve on the SPA's `/device` page); an access token in
`CAMWATCH_TOKEN` or `--token` skips that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from servicekit.backup.databases import database_of
from servicekit.corrections.change import CorrectionRefused
from servicekit.corrections.run import run
from servicekit.signin import SigninFailed, access_token

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


class AccessClient:
    """The access service's correction routes through the gateway, with the operator's token."""

    def __init__(self, gateway: str, token: str, *, transport: httpx.BaseTransport | None = None):
        self.http = httpx.Client(
            base_url=f"{gateway.rstrip('/')}/api/access",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            transport=transport,
        )

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.request(method, path, json=body)
        if response.status_code >= 400:
            problem = response.json() if "json" in response.headers.get("content-type", "") else {}
            detail = problem.get("detail") or response.text[:300]
            raise CorrectionRefused(
                f"access refused {method} {path}: {response.status_code} {detail}"
            )
        document: dict[str, Any] = response.json()
        return document

    def plan(self, correction_id: str) -> dict[str, Any]:
        return self._call("GET", f"/corrections/{correction_id}")

    def start(self, correction_id: str) -> dict[str, Any]:
        return self._call("POST", f"/corrections/{correction_id}/start")

    def applied(self, correction_id: str, report: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/corrections/{correction_id}/applied", report)

    def failed(self, correction_id: str, report: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/corrections/{correction_id}/failed", report)


TRANSPORT: httpx.BaseTransport | None = None
"""The HTTP transport (None: the network); tests put an in-process access here."""


@cli.callback()
def main() -> None:
    """Direct data corrections (seed 2 §3)."""


@cli.command()
def apply(
    correction_id: Annotated[str, typer.Argument(help="the approved correction's id")],
    backup_dir: Annotated[
        Path, typer.Option("--backup-dir", help="where the pre-correction backup is written")
    ],
    gateway: Annotated[
        str, typer.Option("--gateway", envvar="CAMWATCH_GATEWAY_URL", help="the gateway URL")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="CAMWATCH_TOKEN",
            help="an IT operator's access token (default: sign in with a code approved in the SPA)",
            show_default=False,
        ),
    ] = "",
) -> None:
    """Claim the approved plan, back up and verify the target service's database, apply the
    change (only if every `from` value still holds) and report it to access for the minutes."""
    try:
        token = access_token(token, gateway=gateway, transport=TRANSPORT)
    except SigninFailed as exc:
        typer.echo(f"not signed in: {exc}", err=True)
        raise typer.Exit(1) from exc
    access = AccessClient(gateway, token, transport=TRANSPORT)
    try:
        done = run(correction_id, access=access, database_for=database_of, backup_dir=backup_dir)
    except CorrectionRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"backup written and verified: {done.backup_folder}")
    for column in sorted(done.outcome.after):
        typer.echo(f"{column}: {done.outcome.before[column]!r} -> {done.outcome.after[column]!r}")
    typer.echo(
        f"applied correction {correction_id}: {done.outcome.rows_touched} row; the minutes are "
        f"at /api/access/corrections/{correction_id}/minutes"
    )
