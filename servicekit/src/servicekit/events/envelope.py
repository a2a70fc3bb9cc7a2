"""CloudEvents 1.0 envelopes and the base class of every published event's data.

An event type is `<service>.<entity>.<past_tense_verb>.v<N>`; it is also the NATS subject the
event is published on, and its first token names the producing service (and so its stream and
the folder of its JSON schema under `contracts/events/`).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import DEFAULT_REF_TEMPLATE

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}\.v[1-9][0-9]*$")
"""`<service>.<entity>.<verb>.v<N>` in lower case (the entity may have several tokens)."""

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_URI_PREFIX = "https://camwatch.customs.gov.vn/contracts/events/"


def producer_of(event_type: str) -> str:
    """The service that publishes an event type: its first token."""
    return event_type.split(".", 1)[0]


def schema_uri(event_type: str) -> str:
    """The `dataschema` URI of an event type, also the `$id` of its JSON schema."""
    return f"{SCHEMA_URI_PREFIX}{event_type}.json"


def schema_path(contracts_dir: Path, event_type: str) -> Path:
    """Where the committed JSON schema of an event type lives under `contracts/events/`."""
    return contracts_dir / producer_of(event_type) / f"{event_type}.json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope in JSON structured mode; `data` is the payload as JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="Unique per event (a UUID); the NATS Msg-Id")
    source: str = Field(min_length=1, description="camwatch/<producing service>")
    type: str = Field(
        pattern=EVENT_TYPE_PATTERN.pattern,
        description="<service>.<entity>.<verb>.v<N>; also the NATS subject",
    )
    subject: str | None = Field(default=None, description="The resource the event is about")
    time: AwareDatetime = Field(description="When the event happened (UTC when we produce it)")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def producer(self) -> str:
        """The producing service (first token of the type)."""
        return producer_of(self.type)

    @classmethod
    def new(
        cls,
        payload: EventPayload,
        *,
        subject: str | None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> CloudEvent:
        """Wrap a payload in a fresh envelope (new id, now in UTC)."""
        event_type = payload.event_type
        return cls(
            id=event_id or str(uuid.uuid4()),
            source=f"camwatch/{producer_of(event_type)}",
            type=event_type,
            subject=subject,
            time=(time or datetime.now(UTC)).astimezone(UTC),
            dataschema=schema_uri(event_type),
            data=payload.model_dump(mode="json"),
        )

    def to_json(self) -> str:
        """The structured-mode JSON document (what goes into the outbox and onto NATS)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        """Parse a structured-mode document; raises pydantic.ValidationError when invalid."""
        return cls.model_validate_json(raw)


class EventPayload(BaseModel):
    """Base of each published event's data; subclasses set `event_type` and are registered.

    ```python
    class CameraWentOffline(EventPayload):
        event_type: ClassVar[str] = "registry.camera.went_offline.v1"
        camera_id: str
    ```
    """

    event_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type is None:
            return  # an abstract intermediate class
        if not isinstance(event_type, str) or not EVENT_TYPE_PATTERN.match(event_type):
            raise TypeError(
                f"{cls.__qualname__}.event_type {event_type!r} must look like "
                "<service>.<entity>.<verb>.v<N>"
            )
        known = _PAYLOAD_TYPES.get(event_type)
        if known is not None and (known.__module__, known.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):
            raise TypeError(
                f"event type {event_type} is already defined by "
                f"{known.__module__}.{known.__qualname__}"
            )
        _PAYLOAD_TYPES[event_type] = cls

    @classmethod
    def payload_class(cls, event_type: str) -> type[EventPayload]:
        """The registered payload class of an event type (KeyError if none)."""
        return _PAYLOAD_TYPES[event_type]

    @classmethod
    def registered(cls) -> dict[str, type[EventPayload]]:
        """Every payload class defined so far, by event type."""
        return dict(_PAYLOAD_TYPES)

    @classmethod
    def json_schema(cls, ref_template: str = DEFAULT_REF_TEMPLATE) -> dict[str, Any]:
        """The JSON Schema of this event's data, as committed under contracts/events/.

        `ref_template` places nested definitions elsewhere (an OpenAPI document's components).
        """
        schema: dict[str, Any] = cls.model_json_schema(ref_template=ref_template)
        schema["$schema"] = JSON_SCHEMA_DIALECT
        schema["$id"] = schema_uri(cls.event_type)
        schema["title"] = cls.event_type
        if cls.__doc__:
            schema["description"] = " ".join(cls.__doc__.split())
        return schema


_PAYLOAD_TYPES: dict[str, type[EventPayload]] = {}
