"""CloudEvents envelopes and event payload classes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import ClassVar

import pytest
from pydantic import ValidationError

from servicekit.events import CloudEvent, EventPayload, durable_name, producer_of, schema_path


class LampSwitched(EventPayload):
    """A lamp was switched on or off."""

    event_type: ClassVar[str] = "envtest.lamp.switched.v1"
    lamp_id: str
    on: bool
    at: datetime


def test_envelope_wraps_payload_as_cloudevent():
    at = datetime(2025, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    event = CloudEvent.new(LampSwitched(lamp_id="L1", on=True, at=at), subject="L1")
    document = json.loads(event.to_json())
    assert document["specversion"] == "1.0"
    assert document["source"] == "camwatch/envtest"
    assert document["type"] == "envtest.lamp.switched.v1"
    assert document["subject"] == "L1"
    assert document["datacontenttype"] == "application/json"
    assert document["dataschema"].endswith("/envtest.lamp.switched.v1.json")
    assert document["data"] == {"lamp_id": "L1", "on": True, "at": "2025-03-01T08:30:00+07:00"}
    assert event.time.tzinfo is not None and event.time.utcoffset() == timedelta(0)
    assert len(event.id) == 36
    assert CloudEvent.from_json(event.to_json()) == event


def test_each_event_gets_a_new_id():
    payload = LampSwitched(lamp_id="L1", on=False, at=datetime.now().astimezone())
    assert CloudEvent.new(payload, subject="L1").id != CloudEvent.new(payload, subject="L1").id


def test_envelope_rejects_naive_time_and_bad_type():
    base = {"id": "1", "source": "camwatch/x", "type": "x.y.z.v1", "data": {}}
    with pytest.raises(ValidationError, match="timezone"):
        CloudEvent(**base, time=datetime(2025, 1, 1))
    with pytest.raises(ValidationError, match="should match pattern"):
        CloudEvent(**{**base, "type": "Not.An.Event"}, time=datetime.now().astimezone())
    with pytest.raises(ValidationError):
        CloudEvent.from_json(b'{"specversion": "0.3"}')


def test_payload_classes_are_registered_and_checked():
    assert EventPayload.payload_class("envtest.lamp.switched.v1") is LampSwitched
    with pytest.raises(TypeError, match="must look like"):

        class Bad(EventPayload):
            event_type: ClassVar[str] = "lamp_switched"

    with pytest.raises(TypeError, match="already defined"):

        class Twin(EventPayload):
            event_type: ClassVar[str] = "envtest.lamp.switched.v1"


def test_json_schema_is_the_contract_of_the_data():
    schema = LampSwitched.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "envtest.lamp.switched.v1"
    assert schema["description"] == "A lamp was switched on or off."
    assert schema["required"] == ["lamp_id", "on", "at"]
    assert schema["properties"]["at"]["format"] == "date-time"


def test_names_derived_from_the_event_type(tmp_path):
    assert producer_of("registry.camera.went_offline.v1") == "registry"
    assert durable_name("incidents", "registry.camera.went_offline.v1") == (
        "incidents-registry_camera_went_offline_v1"
    )
    assert schema_path(tmp_path, "registry.camera.went_offline.v1") == (
        tmp_path / "registry" / "registry.camera.went_offline.v1.json"
    )
