"""The demo seed registers the access service's demo EPEs once, with their events."""

from devkit.testing.registry import outbox
from registry.demo import seed_demo


def test_seed_demo_is_idempotent(app, client, callers):
    assert seed_demo(app.state.engine) == ["EPE-DEMO-01", "EPE-DEMO-02"]
    assert seed_demo(app.state.engine) == []
    epes = client.get("/epes", headers=callers.system()).json()["data"]
    assert {e["id"]: e["exemption"]["category"] for e in epes} == {
        "EPE-DEMO-01": "I.1.3.b",
        "EPE-DEMO-02": "I.1.3.a",
    }
    assert len(outbox(app, "registry.camera.added.v1")) == 6
