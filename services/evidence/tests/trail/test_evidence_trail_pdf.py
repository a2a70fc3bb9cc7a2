"""The custody trail PDF prints Vietnamese text and every record."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from evidence.trail.pdf import TrailHeader, TrailLine, render_trail_pdf

AT = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)


def test_the_trail_prints_each_record_in_vietnamese() -> None:
    header = TrailHeader(
        package_id="pkg-1",
        request_id="req-1",
        epe_id="epe-1",
        exported_by="officer-an",
        exported_at=AT,
        chain_verdict="Nguyên vẹn",
    )
    lines = [
        TrailLine(i + 1, AT + timedelta(minutes=i), action, "officer-an", "10.0.0.7", None, None)
        for i, action in enumerate(["sealed", "viewed", "share_opened"] * 30)
    ]
    lines.append(TrailLine(91, AT, "downloaded", "Trần Thị Dung", None, "cam-1.mp4", "ab" * 32))
    content = render_trail_pdf(header, lines, tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) > 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "NHẬT KÝ CHUỖI LƯU GIỮ CHỨNG CỨ",
        "Niêm phong",
        "Mở liên kết chia sẻ",
        "Trần Thị Dung",
        "20/01/2025 09:00:00",
        "91 bản ghi",
    ):
        assert expected in text, expected
