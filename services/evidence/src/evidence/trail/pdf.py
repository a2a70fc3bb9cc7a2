"""The custody trail of a package as a printable PDF, in Vietnamese.

Rendered like the incidents service's Appendix II form: fpdf2 with Be Vietnam Pro (shipped
in the `fontpkg-be-vietnam-pro` wheel), so every diacritic prints without system fonts or a
network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import fontpkg_be_vietnam_pro
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
FONT = "BeVietnamPro"
TITLE = "NHẬT KÝ CHUỖI LƯU GIỮ CHỨNG CỨ"
ACTION_LABELS = {
    "requested": "Yêu cầu cung cấp dữ liệu",
    "uploaded": "Tải lên",
    "upload_terminated": "Huỷ tải lên dở dang",
    "sealed": "Niêm phong",
    "viewed": "Xem",
    "downloaded": "Tải xuống",
    "streamed": "Phát trực tuyến",
    "shared": "Chia sẻ",
    "share_opened": "Mở liên kết chia sẻ",
    "share_revoked": "Thu hồi liên kết chia sẻ",
    "verified": "Kiểm tra tính toàn vẹn",
    "retention_changed": "Thay đổi thời hạn lưu giữ",
    "legal_hold_changed": "Thay đổi lệnh giữ pháp lý",
    "exported": "Xuất nhật ký",
}
HEADINGS = (
    "STT",
    "Thời điểm (giờ Việt Nam)",
    "Hành động",
    "Người thực hiện",
    "Từ đâu",
    "Tệp, ghi chú",
)
WIDTHS = (10, 34, 40, 48, 40, 95)


@dataclass(frozen=True)
class TrailLine:
    """One custody record as printed."""

    seq: int
    at: datetime
    action: str
    actor: str
    source: str | None
    file: str | None
    sha256: str | None
    note: str | None = None


@dataclass(frozen=True)
class TrailHeader:
    """What the trail is of, who printed it, and whether its chain held."""

    package_id: str
    request_id: str | None
    epe_id: str
    exported_by: str
    exported_at: datetime
    chain_verdict: str


class _Trail(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "I", 8)
        self.cell(0, 6, f"Trang {self.page_no()}/{{nb}}", align="C")


def _local(instant: datetime, tz: ZoneInfo) -> str:
    return f"{instant.astimezone(tz):%d/%m/%Y %H:%M:%S}"


def _line(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _file_cell(line: TrailLine) -> str:
    parts = [line.file or "", f"SHA-256: {line.sha256}" if line.sha256 else "", line.note or ""]
    return "\n".join(p for p in parts if p) or "-"


def render_trail_pdf(header: TrailHeader, lines: Sequence[TrailLine], *, tz: ZoneInfo) -> bytes:
    """The trail as an A4 landscape table, oldest record first."""
    pdf = _Trail(format="A4", orientation="L")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font(FONT, "", str(FONT_DIR / "BeVietnamPro-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "BeVietnamPro-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "BeVietnamPro-Italic.ttf"))
    pdf.set_title(f"{TITLE} - {header.package_id}")
    pdf.set_creator("camwatch evidence")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, "", 10)
    _line(pdf, f"Gói chứng cứ: {header.package_id}")
    _line(pdf, f"Yêu cầu: {header.request_id or '-'}    Doanh nghiệp chế xuất: {header.epe_id}")
    _line(
        pdf,
        f"Người xuất: {header.exported_by}    Thời điểm xuất: "
        f"{_local(header.exported_at, tz)} (giờ Việt Nam)",
    )
    pdf.set_font(FONT, "B", 10)
    _line(pdf, f"Kiểm tra chuỗi: {header.chain_verdict}")
    pdf.ln(2)
    pdf.set_font(FONT, "", 8)
    with pdf.table(col_widths=WIDTHS, text_align="LEFT", line_height=4.5) as table:
        row = table.row()
        for heading in HEADINGS:
            row.cell(heading)
        for line in lines:
            row = table.row()
            row.cell(str(line.seq))
            row.cell(_local(line.at, tz))
            row.cell(ACTION_LABELS.get(line.action, line.action))
            row.cell(line.actor)
            row.cell(line.source or "-")
            row.cell(_file_cell(line))
    pdf.ln(3)
    pdf.set_font(FONT, "I", 8)
    _line(
        pdf,
        f"{len(lines)} bản ghi. Mỗi bản ghi được liên kết với bản ghi trước bằng mã HMAC-SHA256 "
        "và đầu chuỗi được neo trong kho lưu trữ khóa đối tượng (Object Lock); bản JSON đi kèm "
        "chứa các mã liên kết để kiểm tra độc lập.",
    )
    return bytes(pdf.output())
