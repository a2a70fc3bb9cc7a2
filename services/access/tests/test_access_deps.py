"""The shared request dependencies: keyset pages end without a dangling cursor, and a cursor
carrying anything but the key type of its list is refused naming the field."""

from __future__ import annotations

from servicekit.pagination import encode_cursor


def test_the_last_full_page_has_no_next_cursor(client, flows):
    headers = flows.officer_headers("admin")
    first = client.get("/units", params={"limit": 1}, headers=headers).json()
    assert len(first["data"]) == 1 and first["next_cursor"]
    second = client.get(
        "/units", params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert len(second["data"]) == 1 and second["data"] != first["data"]
    assert second["next_cursor"] is None


def test_a_number_where_a_text_key_belongs_is_refused(client, flows):
    response = client.get(
        "/units", params={"cursor": encode_cursor(5)}, headers=flows.officer_headers("admin")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"
