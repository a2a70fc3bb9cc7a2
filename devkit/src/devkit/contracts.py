"""Contracts generated from code: OpenAPI per service, JSON Schema per event, one AsyncAPI file.

`scripts/export_contracts.py` writes them under contracts/; a test regenerates them in memory
and fails when the committed files differ, so the code and its contracts cannot drift apart.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from servicekit.app import ServiceSpec
from servicekit.events import EventPayload
from servicekit.events.servererrors import ServerErrorsCounted
from servicekit.services import SERVICES
from servicekit.settings import Environment, project_root

CONTRACTS_DIR = project_root() / "contracts"
OTHER_PUBLISHERS: dict[str, Sequence[type[EventPayload]]] = {"gateway": [ServerErrorsCounted]}
"""Producers that are not services: the gateway's events (their payloads live in the kit)."""


def load_app(service: str) -> FastAPI:
    """The service's app built offline (in-memory SQLite, no NATS), just to read its contracts."""
    main = importlib.import_module(f"{service}.main")
    settings_module = importlib.import_module(f"{service}.settings")
    settings = settings_module.Settings(
        environment=Environment.TEST, database_url="sqlite://", events_enabled=False
    )
    app: FastAPI = main.create_app(settings)
    return app


def asyncapi_document(
    specs: dict[str, ServiceSpec],
    other_publishers: Mapping[str, Sequence[type[EventPayload]]] | None = None,
) -> dict[str, Any]:
    """AsyncAPI 3.0: every subject as a channel, who sends it and who receives it."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    publishers = {service: spec.publishes for service, spec in specs.items()}
    publishers.update(other_publishers or {})
    for service, publishes in sorted(publishers.items()):
        for payload in publishes:
            key = payload.event_type.replace(".", "_")
            channels[key] = {
                "address": payload.event_type,
                "messages": {
                    key: {
                        "name": payload.event_type,
                        "contentType": "application/cloudevents+json",
                        "payload": {"$ref": f"./events/{service}/{payload.event_type}.json"},
                    }
                },
            }
            operations[f"{service}_sends_{key}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
            }
    for service, spec in sorted(specs.items()):
        for subject in sorted(spec.subscriptions):
            key = subject.replace(".", "_")
            operations[f"{service}_receives_{key}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{key}"},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "camwatch events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 envelopes on NATS JetStream; subject = event type.",
        },
        "servers": {"nats": {"host": "127.0.0.1:4222", "protocol": "nats"}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
    }


def render(document: Any) -> str:
    """Stable JSON text for committed contract files."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def generate(services: Iterable[str] = SERVICES) -> dict[Path, str]:
    """Every contract file, keyed by its path under contracts/."""
    files: dict[Path, str] = {}
    specs: dict[str, ServiceSpec] = {}
    for service in services:
        app = load_app(service)
        spec: ServiceSpec = app.state.spec
        specs[service] = spec
        files[Path("openapi") / f"{service}.json"] = render(app.openapi())
        for payload in spec.publishes:
            path = Path("events") / service / f"{payload.event_type}.json"
            files[path] = render(payload.json_schema())
    for producer, publishes in OTHER_PUBLISHERS.items():
        for payload in publishes:
            path = Path("events") / producer / f"{payload.event_type}.json"
            files[path] = render(payload.json_schema())
    files[Path("asyncapi.json")] = render(asyncapi_document(specs, OTHER_PUBLISHERS))
    return files


def write(files: dict[Path, str], root: Path = CONTRACTS_DIR) -> list[Path]:
    """Write the files and delete stale generated ones; returns what changed."""
    changed: list[Path] = []
    for pattern in ("openapi/*.json", "events/*/*.json"):
        for stale in root.glob(pattern):
            if stale.relative_to(root) not in files:
                stale.unlink()
                changed.append(stale)
    for relative, text in files.items():
        target = root / relative
        if not target.exists() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            changed.append(target)
    return changed


def differences(files: dict[Path, str], root: Path = CONTRACTS_DIR) -> list[str]:
    """Paths whose committed text differs from the generated one (or is missing / stale)."""
    out = [
        str(p)
        for p, text in files.items()
        if not (root / p).exists() or (root / p).read_text() != text
    ]
    for pattern in ("openapi/*.json", "events/*/*.json"):
        out += [
            str(p.relative_to(root)) + " (stale)"
            for p in root.glob(pattern)
            if p.relative_to(root) not in files
        ]
    return sorted(out)
