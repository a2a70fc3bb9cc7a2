"""A service's OpenAPI document served through the gateway declares what the gateway sends."""

import httpx

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_every_operation_declares_the_gateways_own_problems(gateway, upstream) -> None:
    document = httpx.get(f"{gateway}/api/registry/openapi.json").json()

    operations = [op for item in document["paths"].values() for op in item.values()]
    assert operations
    for operation in operations:
        responses = operation["responses"]
        for status in ("429", "502", "503", "504"):
            assert responses[status]["content"] == PROBLEM
        assert "Retry-After" in responses["429"]["headers"]
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
