"""The report of a unit over a period: each section a table of counts."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Row(BaseModel):
    """One line of a section: its keys (e.g. rule and outcome) and its count, with a rate
    when the section has a meaningful whole."""

    keys: list[str]
    count: int
    rate: float | None = None


class Section(BaseModel):
    """A table of the report (its name is the key of the CSV rows and the XLSX sheet)."""

    name: str
    title: str
    columns: list[str]
    rows: list[Row]
    total: int


class Report(BaseModel):
    unit: str
    start: date
    end: date
    generated_at: datetime
    sections: list[Section]
