"""The report as CSV, XLSX (openpyxl) and a printable PDF in Vietnamese (fpdf2 and the
Be Vietnam Pro font shipped as a wheel, as the incidents service's notices: no network)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import fontpkg_be_vietnam_pro
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook

from risk.reports.models import Report, Section

FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
FONT = "BeVietnamPro"
HEADER = ["section", "key_1", "key_2", "count", "rate"]


def _keys(keys: list[str]) -> list[str]:
    return [*keys, "", ""][:2]


def _rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"


def to_csv(report: Report) -> str:
    """One row per line of every section, and a `total` row per section."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for section in report.sections:
        for row in section.rows:
            writer.writerow([section.name, *_keys(row.keys), row.count, _rate(row.rate)])
        writer.writerow([section.name, "total", "", section.total, ""])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    """A sheet per section with its columns, count and rate, and a cover sheet."""
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "report"
    cover.append(["unit", report.unit])
    cover.append(["start", report.start.isoformat()])
    cover.append(["end", report.end.isoformat()])
    cover.append(["generated_at", report.generated_at.isoformat()])
    for section in report.sections:
        sheet = book.create_sheet(section.name)
        sheet.append([section.title])
        sheet.append([*section.columns, "count", "rate"])
        for row in section.rows:
            sheet.append([*row.keys, row.count, row.rate])
        sheet.append(["total", *[""] * (len(section.columns) - 1), section.total])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(pdf: FPDF, section: Section) -> None:
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 7, section.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    widths = [60.0] * len(section.columns) + [25.0, 25.0]
    pdf.set_font(FONT, "B", 9)
    for width, name in zip(widths, [*section.columns, "Số lượng", "Tỷ lệ"], strict=True):
        pdf.cell(width, 6, name, border=1)
    pdf.ln()
    pdf.set_font(FONT, "", 9)
    for row in section.rows:
        rate = "" if row.rate is None else f"{row.rate * 100:.1f} %"
        cells = [*row.keys, str(row.count), rate]
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 6, text[:40], border=1)
        pdf.ln()
    pdf.set_font(FONT, "B", 9)
    pdf.cell(sum(widths[:-2]), 6, "Tổng cộng", border=1)
    pdf.cell(widths[-2], 6, str(section.total), border=1)
    pdf.ln(10)


def to_pdf(report: Report, tz: ZoneInfo) -> bytes:
    """A printable A4 report in Vietnamese."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "BeVietnamPro-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "BeVietnamPro-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 10, "BÁO CÁO GIÁM SÁT DOANH NGHIỆP CHẾ XUẤT", align="C")
    pdf.ln(10)
    pdf.set_font(FONT, "", 10)
    generated = report.generated_at.astimezone(tz)
    lines = (
        f"Đơn vị: {report.unit}",
        f"Kỳ báo cáo: từ ngày {report.start:%d/%m/%Y} đến ngày {report.end:%d/%m/%Y}",
        f"Lập lúc: {generated:%H:%M} ngày {generated:%d/%m/%Y}",
    )
    for line in lines:
        pdf.cell(0, 6, line)
        pdf.ln(6)
    pdf.ln(4)
    for section in report.sections:
        _table(pdf, section)
    return bytes(pdf.output())
