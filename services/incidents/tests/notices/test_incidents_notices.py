"""Filing notices: idempotent creation, ETag/If-Match revisions, camera checks, the PDF form."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from incidents.notices.pdf import FIELD_LABELS, NATIONAL_MOTTO, NATIONAL_NAME


def test_filing_a_notice_opens_a_notified_incident(
    client, registry, file_notice, officer_headers
) -> None:
    response = file_notice()
    assert response.status_code == 201, response.text
    notice = response.json()
    assert notice["revision"] == 1
    assert response.headers["ETag"] == '"r1"'
    assert notice["enterprise"] == {
        "name": "Công ty TNHH Ánh Dương epe-1",
        "address": "Lô 12, KCX Tân Thuận, Quận 7, TP. Hồ Chí Minh",
        "tax_code": "0301234567",
    }
    incident = client.get(f"/incidents/{notice['incident_id']}", headers=officer_headers).json()
    assert incident["state"] == "notified"
    assert incident["kind"] == "camera_equipment"
    assert incident["camera_ids"] == ["cam-1"]
    assert incident["notice_id"] == notice["id"]
    # Notified Monday 20 January 2025; 10 working days across Tet end on Monday 10 February.
    assert incident["deadline_date"] == "2025-02-10"
    assert incident["deadline_at"] == "2025-02-10T17:00:00Z"


def test_a_retry_with_the_same_key_returns_the_same_notice(client, registry, file_notice) -> None:
    first = file_notice(key="vendor-retry-1")
    again = file_notice(key="vendor-retry-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["incident_id"] == first.json()["incident_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_the_same_key_with_another_body_is_refused(client, registry, file_notice, notice) -> None:
    file_notice(key="vendor-key-2")
    other = file_notice(notice(effects="Khác"), key="vendor-key-2")
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_the_idempotency_key_is_required(client, registry, epe_headers, notice) -> None:
    response = client.post("/notices", json=notice(), headers=epe_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_a_second_notice_for_a_covered_camera_conflicts(
    client, registry, file_notice, notice
) -> None:
    first = file_notice()
    second = file_notice(notice(camera_ids=["cam-1", "cam-2"]))
    assert second.status_code == 409
    assert second.json()["incident_id"] == first.json()["incident_id"]


def test_a_channel_notice_conflicts_only_with_the_same_channel(
    client, registry, file_notice, notice
) -> None:
    internet = file_notice(notice(kind="transmission_channel", camera_ids=[], channel="internet"))
    assert internet.status_code == 201, internet.text
    again = file_notice(notice(kind="transmission_channel", camera_ids=[], channel="internet"))
    assert again.status_code == 409
    assert again.json()["incident_id"] == internet.json()["incident_id"]
    # The separate line is another channel: losing it too is a second interruption.
    line = file_notice(notice(kind="transmission_channel", camera_ids=[], channel="separate_line"))
    assert line.status_code == 201, line.text
    assert line.json()["incident_id"] != internet.json()["incident_id"]


def test_cameras_must_belong_to_the_epe(client, registry, file_notice, notice) -> None:
    foreign = file_notice(notice(camera_ids=["cam-1", "cam-9"]))
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "body.camera_ids.1"
    unknown = file_notice(notice(camera_ids=["nope"]))
    assert unknown.status_code == 422


def test_form_rules(client, registry, file_notice, notice) -> None:
    no_camera = file_notice(notice(camera_ids=[]))
    assert no_camera.status_code == 422
    channel_without_channel = file_notice(notice(kind="transmission_channel", camera_ids=[]))
    assert channel_without_channel.status_code == 422
    naive_time = file_notice(notice(estimated_restoration_at="2025-01-24T17:00:00"))
    assert naive_time.status_code == 422
    nul = file_notice(notice(description="bad\x00text"))
    assert nul.status_code == 422
    bad_phone = file_notice(notice(technician={"name": "A", "phone": "call me"}))
    assert bad_phone.status_code == 422


def test_the_technician_phone_is_a_vietnamese_number_in_e164(
    client, registry, file_notice, notice
) -> None:
    for bad in ("0000000000", "0112345678", "0912 345 678 ext. 12"):
        refused = file_notice(notice(technician={"name": "A", "phone": bad}))
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == "body.technician.phone"
    filed = file_notice(notice(technician={"name": "A", "phone": "024 3825 1234"}))
    assert filed.status_code == 201, filed.text
    assert filed.json()["technician"]["phone"] == "+842438251234"


def test_a_channel_notice_has_a_three_day_deadline(
    client, registry, file_notice, notice, officer_headers
) -> None:
    response = file_notice(notice(kind="transmission_channel", camera_ids=[], channel="internet"))
    assert response.status_code == 201, response.text
    incident = client.get(
        f"/incidents/{response.json()['incident_id']}", headers=officer_headers
    ).json()
    assert incident["deadline_working_days"] == 3
    assert incident["deadline_date"] == "2025-01-23"  # Tue 21, Wed 22, Thu 23


def test_revisions_need_if_match(client, registry, file_notice, notice, epe_headers) -> None:
    created = file_notice().json()
    url = f"/notices/{created['id']}"
    body = notice(estimated_restoration_at="2025-01-28T17:00:00+07:00")
    body.pop("epe_id")
    missing = client.put(url, json=body, headers=epe_headers)
    assert missing.status_code == 428
    stale = client.put(url, json=body, headers={**epe_headers, "If-Match": '"r7"'})
    assert stale.status_code == 412
    ok = client.put(url, json=body, headers={**epe_headers, "If-Match": '"r1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"r2"'
    assert ok.json()["revision"] == 2
    assert ok.json()["estimated_restoration_at"] == "2025-01-28T10:00:00Z"
    again = client.put(url, json=body, headers={**epe_headers, "If-Match": '"r1"'})
    assert again.status_code == 412
    # The first revision is still there, unchanged.
    first_pdf = client.get(f"{url}/pdf", params={"revision": 1}, headers=epe_headers)
    assert first_pdf.status_code == 200
    assert first_pdf.headers["ETag"] == '"r1"'


def test_the_kind_of_trouble_cannot_change(client, registry, file_notice, notice, epe_headers):
    created = file_notice().json()
    body = notice(kind="transmission_channel", camera_ids=[], channel="internet")
    body.pop("epe_id")
    response = client.put(
        f"/notices/{created['id']}", json=body, headers={**epe_headers, "If-Match": '"r1"'}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.kind"


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def test_the_notice_prints_as_the_vietnamese_appendix_ii_form(
    client, registry, file_notice, officer_headers
) -> None:
    created = file_notice().json()
    response = client.get(f"/notices/{created['id']}/pdf", headers=officer_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert NATIONAL_NAME in text
    assert NATIONAL_MOTTO in text
    assert "THÔNG BÁO" in text
    for label in FIELD_LABELS:
        assert " ".join(label.split()) in text, label
    assert "Công ty TNHH Ánh Dương epe-1" in text
    assert "mã số thuế: 0301234567" in text
    assert "Camera số CAM-1 ở kho nguyên liệu mất tín hiệu do hỏng nguồn" in text
    assert "Nguyễn Văn Hùng" in text
    assert "TP. Hồ Chí Minh, ngày 20 tháng 01 năm 2025" in text
    assert "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT" in text
    assert "(Ký, ghi rõ họ tên, đóng dấu)" in text
    assert "Trần Thị Mai" in text
    assert "Trước 17 giờ 00 ngày 24/01/2025" in text


def test_an_unknown_field_is_refused_by_name(client, registry, file_notice, notice) -> None:
    backdated = file_notice(notice(notified_at="2026-02-12T15:00:00+07:00"))
    assert backdated.status_code == 422
    assert backdated.json()["errors"] == [
        {"field": "body.notified_at", "message": "Extra inputs are not permitted"}
    ]
    nested = file_notice(notice(technician={"name": "A", "phone": "0901234567", "fax": "1"}))
    assert nested.status_code == 422
    assert nested.json()["errors"][0]["field"] == "body.technician.fax"


def test_instants_at_the_edges_are_refused_by_name(client, registry, file_notice, notice) -> None:
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        response = file_notice(notice(estimated_restoration_at=moment))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "body.estimated_restoration_at"


def test_an_oversized_notice_is_refused_before_it_is_parsed(
    client, registry, epe_headers, notice
) -> None:
    body = notice(description="x" * (2 * 1024 * 1024))
    headers = {**epe_headers, "Idempotency-Key": "too-large-1"}
    response = client.post("/notices", json=body, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
