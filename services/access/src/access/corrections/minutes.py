"""The minutes of a direct data correction (seed 2 §3: "biên bản"), a PDF in Vietnamese.

Rendered as the incidents, risk and evidence documents are: fpdf2 with Be Vietnam Pro from the
`fontpkg-be-vietnam-pro` wheel, so every diacritic prints without system fonts or a network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import fontpkg_be_vietnam_pro
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
FONT = "BeVietnamPro"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "BIÊN BẢN SỬA ĐỔI TRỰC TIẾP DỮ LIỆU"


@dataclass(frozen=True)
class Minutes:
    """Everything the minutes state, with people already named."""

    correction_id: str
    unit: str
    service: str
    table: str
    primary_key: dict[str, Any]
    reason: str
    supervisors: list[tuple[str, str]]
    prepared_by: str
    prepared_at: datetime
    approved_by: str
    approved_at: datetime
    approval_note: str | None
    applied_by: str
    started_at: datetime
    finished_at: datetime
    backup_id: str
    backup_sha256: str
    rows_touched: int
    before: dict[str, Any]
    after: dict[str, Any]


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "I", 8)
        self.cell(0, 6, f"Trang {self.page_no()}/{{nb}}", align="C")


def _local(instant: datetime) -> str:
    return f"{instant.astimezone(VIETNAM):%H:%M:%S ngày %d/%m/%Y}"


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", 11)
    _line(pdf, text)
    pdf.set_font(FONT, "", 10)


def render_minutes(minutes: Minutes) -> bytes:
    """The minutes as an A4 portrait document."""
    pdf = _Document(format="A4")
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font(FONT, "", str(FONT_DIR / "BeVietnamPro-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "BeVietnamPro-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "BeVietnamPro-Italic.ttf"))
    pdf.set_title(f"{TITLE} - {minutes.correction_id}")
    pdf.set_creator("camwatch access")
    pdf.set_creation_date(minutes.finished_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 11)
    pdf.cell(
        0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.cell(0, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.cell(
        0,
        6,
        f"Mã kế hoạch: {minutes.correction_id}",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    _line(
        pdf,
        f"Vào lúc {_local(minutes.started_at)} (giờ Việt Nam), tại đơn vị {minutes.unit}, "
        "việc sửa đổi trực tiếp dữ liệu trong hệ thống camwatch được thực hiện theo kế hoạch "
        "đã được phê duyệt, có sao lưu cơ sở dữ liệu trước khi sửa đổi và có sự chứng kiến "
        "của đại diện giám sát, theo Quy chế quản lý, sử dụng hệ thống xử lý dữ liệu hải "
        "quan điện tử.",
    )
    _sections(pdf, minutes)
    _closing(pdf, minutes)
    return bytes(pdf.output())


def _sections(pdf: FPDF, minutes: Minutes) -> None:
    """The plan, the approval, the supervisors, the backup and the change."""
    _heading(pdf, "1. Kế hoạch sửa đổi")
    _line(pdf, f"Người lập kế hoạch: {minutes.prepared_by}, lúc {_local(minutes.prepared_at)}")
    _line(pdf, f"Dịch vụ: {minutes.service}    Bảng: {minutes.table}")
    _line(pdf, f"Khóa chính của bản ghi: {_value(minutes.primary_key)}")
    _line(pdf, f"Lý do: {minutes.reason}")
    _heading(pdf, "2. Phê duyệt")
    _line(pdf, f"Người phê duyệt: {minutes.approved_by}, lúc {_local(minutes.approved_at)}")
    if minutes.approval_note:
        _line(pdf, f"Ý kiến phê duyệt: {minutes.approval_note}")
    _heading(pdf, "3. Đại diện giám sát")
    for number, (name, position) in enumerate(minutes.supervisors, start=1):
        _line(pdf, f"{number}. {name}, {position}")
    _heading(pdf, "4. Sao lưu trước khi sửa đổi")
    _line(pdf, f"Mã bản sao lưu: {minutes.backup_id} (đã kiểm tra toàn vẹn)")
    _line(pdf, f"SHA-256 của bản sao cơ sở dữ liệu: {minutes.backup_sha256}")
    _heading(pdf, "5. Nội dung sửa đổi")
    _line(
        pdf, f"Người thực hiện: {minutes.applied_by}; số bản ghi được sửa: {minutes.rows_touched}"
    )
    pdf.set_font(FONT, "", 9)
    with pdf.table(col_widths=(40, 67, 67), text_align="LEFT", line_height=5) as table:
        row = table.row()
        for heading in ("Cột", "Giá trị trước", "Giá trị sau"):
            row.cell(heading)
        for column in sorted(minutes.after):
            row = table.row()
            row.cell(column)
            row.cell(_value(minutes.before.get(column)))
            row.cell(_value(minutes.after[column]))


def _closing(pdf: FPDF, minutes: Minutes) -> None:
    """When it ended, what the audit chain holds, and the signature blocks."""
    pdf.set_font(FONT, "", 10)
    _line(pdf, f"Hoàn thành lúc {_local(minutes.finished_at)} (giờ Việt Nam).")
    pdf.ln(2)
    pdf.set_font(FONT, "I", 9)
    _line(
        pdf,
        "Mỗi bước (lập kế hoạch, phê duyệt, bắt đầu, hoàn thành) được ghi vào nhật ký kiểm tra "
        "có chuỗi mã HMAC của dịch vụ access; mã SHA-256 của biên bản này được ghi cùng bước "
        "hoàn thành.",
    )
    pdf.ln(6)
    pdf.set_font(FONT, "B", 10)
    signers = ["Người thực hiện", "Người phê duyệt", "Đại diện giám sát"]
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(signers)
    for signer in signers:
        pdf.cell(width, 6, signer, align="C")
    pdf.ln(6)
    pdf.set_font(FONT, "I", 8)
    for _ in signers:
        pdf.cell(width, 6, "(ký, ghi rõ họ tên)", align="C")
    pdf.ln(20)
