"""The notice as the Appendix II form of Decision 247/QD-TCHQ, in Vietnamese, as a PDF.

Rendered with fpdf2 and Be Vietnam Pro (a typeface drawn for Vietnamese, shipped in the
`fontpkg-be-vietnam-pro` wheel), so every diacritic prints without system fonts.
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

from incidents.incident.models import ChannelType, IncidentKind
from incidents.notices.models import NoticeRevision

FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
FONT = "BeVietnamPro"

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "THÔNG BÁO"
SUBTITLE = "Về việc gián đoạn hoạt động của hệ thống camera giám sát của doanh nghiệp chế xuất"
FIELD_LABELS = (
    "1. Tên, địa chỉ, mã số thuế của doanh nghiệp chịu sự giám sát hải quan:",
    "2. Mô tả hiện trạng, nguyên nhân sự cố kỹ thuật (vị trí, số lượng theo sơ đồ đã cung cấp "
    "cho cơ quan hải quan):",
    "3. Ảnh hưởng của việc gián đoạn liên quan đến giám sát hải quan:",
    "4. Thời gian dự kiến khắc phục:",
    "5. Thông tin liên hệ của cán bộ kỹ thuật doanh nghiệp:",
)
SIGNATORY_TITLE = "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT"
SIGNATURE_HINT = "(Ký, ghi rõ họ tên, đóng dấu)"
KIND_LABELS = {
    IncidentKind.CAMERA_EQUIPMENT: "Sự cố thiết bị camera và thiết bị kèm theo",
    IncidentKind.TRANSMISSION_CHANNEL: "Sự cố đường truyền",
}
CHANNEL_LABELS = {
    ChannelType.INTERNET: "đường truyền Internet",
    ChannelType.SEPARATE_LINE: "kênh truyền riêng với cơ quan hải quan",
}
POSITION_LABELS = {
    "epe_gate": "cổng ra vào doanh nghiệp",
    "storage_area_gate": "cổng/cửa khu vực kho",
    "storage_area": "khu vực kho",
    "inside_storage_area": "bên trong kho",
}


@dataclass(frozen=True)
class CameraLine:
    """A camera named on the form: its number on the diagram and its position."""

    number: str
    position: str | None


def _local(instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return f"{local:%H} giờ {local:%M} ngày {local:%d/%m/%Y}"


def _date_line(place: str | None, instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    where = place or "........"
    return f"{where}, ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"


def _cell(pdf: FPDF, width: float, height: float, text: str, *, align: str = "L") -> None:
    """A wrapped paragraph; the cursor goes to the left margin of the next line."""
    text = text.replace("\t", "    ")
    pdf.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class _Form(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "I", 8)
        self.cell(0, 6, f"Trang {self.page_no()}/{{nb}}", align="C")


def render_notice_pdf(  # noqa: PLR0915 -- the Appendix II form drawn line by line, in its order
    revision: NoticeRevision,
    *,
    incident_id: str,
    filed_at: datetime,
    unit: str | None,
    cameras: Sequence[CameraLine],
    tz: ZoneInfo,
) -> bytes:
    """The Appendix II form filled from one revision of a notice."""
    pdf = _Form(format="A4")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", str(FONT_DIR / "BeVietnamPro-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "BeVietnamPro-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "BeVietnamPro-Italic.ttf"))
    pdf.set_title(f"{TITLE} - {revision.enterprise_name}")
    pdf.set_author(revision.enterprise_name)
    pdf.set_creator("camwatch incidents")
    pdf.alias_nb_pages()
    pdf.add_page()

    width = pdf.epw
    left_w, right_w = width * 0.42, width * 0.58
    top = pdf.get_y()
    # Left column: the enterprise and the document number.
    pdf.set_font(FONT, "B", 10)
    _cell(pdf, left_w, 5, revision.enterprise_name.upper(), align="C")
    pdf.set_font(FONT, "", 10)
    _cell(pdf, left_w, 5, "-------", align="C")
    number = revision.document_number or "........"
    _cell(pdf, left_w, 5, f"Số: {number}", align="C")
    left_bottom = pdf.get_y()
    # Right column: the national header, then place and date.
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font(FONT, "B", 10)
    _cell(pdf, right_w, 5, NATIONAL_NAME, align="C")
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font(FONT, "B", 11)
    _cell(pdf, right_w, 5, NATIONAL_MOTTO, align="C")
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font(FONT, "", 10)
    _cell(pdf, right_w, 5, "---------------", align="C")
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font(FONT, "I", 10)
    _cell(pdf, right_w, 6, _date_line(revision.place, filed_at, tz), align="C")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    pdf.set_font(FONT, "B", 13)
    _cell(pdf, 0, 7, TITLE, align="C")
    pdf.set_font(FONT, "B", 11)
    _cell(pdf, 0, 6, SUBTITLE, align="C")
    pdf.ln(3)
    pdf.set_font(FONT, "", 11)
    addressee = (
        f"Chi cục Hải quan quản lý doanh nghiệp chế xuất ({unit})"
        if unit
        else ("Chi cục Hải quan quản lý doanh nghiệp chế xuất")
    )
    _cell(pdf, 0, 6, f"Kính gửi: {addressee}", align="C")
    pdf.ln(2)
    _cell(
        pdf,
        0,
        6,
        "Căn cứ quy định tại Quyết định số 247/QĐ-TCHQ năm 2022 của Tổng cục Hải quan, "
        f"{revision.enterprise_name} thông báo việc gián đoạn hệ thống camera giám sát đối với "
        "hàng hóa chịu sự giám sát của cơ quan hải quan như sau:",
        align="J",
    )

    kind = IncidentKind(revision.kind)
    affected: list[str] = [f"Loại sự cố: {KIND_LABELS[kind]}."]
    if revision.channel:
        affected.append(
            f"Đường truyền bị gián đoạn: {CHANNEL_LABELS[ChannelType(revision.channel)]}."
        )
    if cameras:
        names = "; ".join(
            f"camera số {c.number}"
            + (f" ({POSITION_LABELS.get(c.position, c.position)})" if c.position else "")
            for c in cameras
        )
        affected.append(f"Camera bị ảnh hưởng ({len(cameras)}): {names}.")
    technician = f"{revision.technician_name}, điện thoại: {revision.technician_phone}"
    if revision.technician_email:
        technician += f", thư điện tử: {revision.technician_email}"
    answers = (
        [
            f"{revision.enterprise_name}; địa chỉ: {revision.enterprise_address}; "
            f"mã số thuế: {revision.enterprise_tax_code}"
        ],
        [*affected, revision.description],
        [revision.effects],
        [f"Trước {_local(revision.estimated_restoration_at, tz)}"],
        [technician],
    )
    for label, lines in zip(FIELD_LABELS, answers, strict=True):
        pdf.ln(1)
        pdf.set_font(FONT, "B", 11)
        _cell(pdf, 0, 6, label, align="L")
        pdf.set_font(FONT, "", 11)
        for line in lines:
            _cell(pdf, 0, 6, line, align="J")
    pdf.ln(2)
    pdf.set_font(FONT, "I", 11)
    _cell(pdf, 0, 6, "Trân trọng thông báo./.", align="L")

    # Signature block on the right, recipients on the left.
    pdf.ln(4)
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 10)
    _cell(pdf, left_w, 5, "Nơi nhận:", align="L")
    pdf.set_font(FONT, "", 9)
    _cell(pdf, left_w, 5, "- Như trên;\n- Lưu: VT.", align="L")
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font(FONT, "B", 11)
    _cell(pdf, right_w, 6, SIGNATORY_TITLE, align="C")
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font(FONT, "I", 10)
    _cell(pdf, right_w, 5, SIGNATURE_HINT, align="C")
    pdf.ln(22)
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font(FONT, "B", 11)
    _cell(pdf, right_w, 6, revision.signatory_name or "", align="C")

    pdf.set_y(pdf.get_y() + 8)
    pdf.set_font(FONT, "I", 8)
    pdf.cell(
        0,
        5,
        f"Mã sự cố: {incident_id} - bản {revision.revision}, "
        f"lập lúc {_local(revision.created_at, tz)}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())
