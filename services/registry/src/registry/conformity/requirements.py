"""Appendix I of Decision 247 as data: one row per line, each with a rule over declared specs.

The rule vocabulary is small (at least, at most, yes, one of, a resolution, a range...) so the
table reads like the Appendix and a line can change without touching the evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.conformity.models import LineResult, RequirementResult

Specs = Mapping[str, Any]
Outcome = tuple[LineResult, str | None]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _canon(text: str) -> str:
    return re.sub(r"[\s_]", "", text).upper().replace("MJPEG", "M-JPEG")


def _resolution(text: str) -> tuple[int, int]:
    width, height = text.lower().split("x")
    return int(width), int(height)


def _sensor_inches(text: str) -> float:
    return 1 / float(text.strip('"').split("/")[1])


@dataclass(frozen=True)
class Requirement:
    """One line of Appendix I."""

    line: str
    specification: str
    requirement: str
    check: Callable[[Specs], Outcome]

    def evaluate(self, specs: Specs) -> RequirementResult:
        result, declared = self.check(specs)
        return RequirementResult(
            line=self.line,
            specification=self.specification,
            requirement=self.requirement,
            declared=declared,
            result=result,
        )


def _verdict(ok: bool) -> LineResult:
    return LineResult.PASS if ok else LineResult.FAIL


def yes(field: str) -> Callable[[Specs], Outcome]:
    """The feature is declared present."""

    def check(specs: Specs) -> Outcome:
        value = specs.get(field)
        if value is None:
            return LineResult.NOT_DECLARED, None
        return _verdict(value is True), _fmt(value)

    return check


def at_least(field: str, minimum: float, unit: str = "") -> Callable[[Specs], Outcome]:
    """A declared number reaches the minimum."""

    def check(specs: Specs) -> Outcome:
        value = specs.get(field)
        if value is None:
            return LineResult.NOT_DECLARED, None
        return _verdict(float(value) >= minimum), f"{_fmt(value)}{unit}"

    return check


def at_most(field: str, maximum: float, unit: str = "") -> Callable[[Specs], Outcome]:
    """A declared number does not exceed the maximum."""

    def check(specs: Specs) -> Outcome:
        value = specs.get(field)
        if value is None:
            return LineResult.NOT_DECLARED, None
        return _verdict(float(value) <= maximum), f"{_fmt(value)}{unit}"

    return check


def one_of(field: str, accepted: frozenset[str]) -> Callable[[Specs], Outcome]:
    """At least one declared value is among the accepted ones."""
    wanted = {_canon(a) for a in accepted}

    def check(specs: Specs) -> Outcome:
        values = specs.get(field)
        if not values:
            return LineResult.NOT_DECLARED, None
        return _verdict(any(_canon(v) in wanted for v in values)), _fmt(values)

    return check


def resolution_at_least(field: str, width: int, height: int) -> Callable[[Specs], Outcome]:
    """The declared resolution is at least width x height."""

    def check(specs: Specs) -> Outcome:
        value = specs.get(field)
        if value is None:
            return LineResult.NOT_DECLARED, None
        w, h = _resolution(value)
        return _verdict(w >= width and h >= height), value

    return check


def sensor(specs: Specs) -> Outcome:
    """1/2.8" (or larger) CMOS or CCD."""
    size, tech = specs.get("sensor_format"), specs.get("sensor_technology")
    if size is None or tech is None:
        declared = " ".join(str(v) for v in (size, tech) if v is not None) or None
        return LineResult.NOT_DECLARED, declared
    ok = _sensor_inches(size) >= _sensor_inches('1/2.8"') - 1e-9 and _canon(tech) in {"CMOS", "CCD"}
    return _verdict(ok), f"{size} {tech}"


def hlc(specs: Specs) -> Outcome:
    """>= 146 dB measured at 1920x1080, or >= 120 dB at 2560x1440."""
    db = specs.get("hlc_db")
    if db is None:
        return LineResult.NOT_DECLARED, None
    at = specs.get("hlc_resolution") or specs.get("resolution")
    if at is None:
        return LineResult.NOT_DECLARED, f"{_fmt(db)} dB (resolution not declared)"
    w, h = _resolution(at)
    threshold = 120.0 if (w >= 2560 and h >= 1440) else 146.0
    return _verdict(float(db) >= threshold), f"{_fmt(db)} dB at {at}"


def ingress(specs: Specs) -> Outcome:
    """IP67: dust-tight (6) and protected against immersion (7 or 8)."""
    ratings = specs.get("ingress_protection")
    if not ratings:
        return LineResult.NOT_DECLARED, None
    ok = any(r[2] == "6" and r[3] in "78" for r in ratings)
    return _verdict(ok), _fmt(ratings)


def low_light(specs: Specs) -> Outcome:
    """<= 0.0225 lx in colour and 0 lx with IR."""
    color, ir = specs.get("low_light_color_lux"), specs.get("low_light_ir_lux")
    declared = (
        " / ".join(
            part
            for part in (
                f"{_fmt(color)} lx (color)" if color is not None else None,
                f"{_fmt(ir)} lx (IR)" if ir is not None else None,
            )
            if part
        )
        or None
    )
    failed = (color is not None and float(color) > 0.0225) or (ir is not None and float(ir) > 0)
    if failed:
        return LineResult.FAIL, declared
    if color is None or ir is None:
        return LineResult.NOT_DECLARED, declared
    return LineResult.PASS, declared


def focal_low(specs: Specs) -> Outcome:
    """The lens reaches down to 2.8 mm."""
    value = specs.get("focal_length_min_mm")
    if value is None:
        return LineResult.NOT_DECLARED, None
    return _verdict(float(value) <= 2.8), f"{_fmt(value)} mm"


def focal_high(specs: Specs) -> Outcome:
    """The lens reaches up to 12 mm."""
    value = specs.get("focal_length_max_mm")
    if value is None:
        return LineResult.NOT_DECLARED, None
    return _verdict(float(value) >= 12), f"{_fmt(value)} mm"


APPENDIX_I: tuple[Requirement, ...] = (
    Requirement("1", "Image sensor", '1/2.8", CMOS or CCD technology', sensor),
    Requirement("2", "Day/Night vision function", "Yes", yes("day_night")),
    Requirement("3", "Resolution", "1920x1080", resolution_at_least("resolution", 1920, 1080)),
    Requirement("4", "White balance", "Yes", yes("white_balance")),
    Requirement(
        "5",
        "Image compression standards",
        "At least one of the following standards: M-JPEG, H.264, H.265, H.264+, H.265+",
        one_of("compression", frozenset({"M-JPEG", "H.264", "H.265", "H.264+", "H.265+"})),
    ),
    Requirement("6a", "Focal length", "Low threshold 2.8 mm", focal_low),
    Requirement("6b", "Focal length", "High threshold 12 mm", focal_high),
    Requirement("7", "Panning angle", "Minimum 33 degrees", at_least("panning_angle_deg", 33, "°")),
    Requirement("8", "Frame rate", "30 fps", at_least("frame_rate_fps", 30, " fps")),
    Requirement(
        "9",
        "Network protocol",
        "Supporting one of the following: IPv4, IPv6, TCP, DHCP, HTTP, SNMP",
        one_of("network_protocols", frozenset({"IPv4", "IPv6", "TCP", "DHCP", "HTTP", "SNMP"})),
    ),
    Requirement(
        "10",
        "Highlight Compensation (HLC)",
        "Minimum 146 dB with 1920x1080 resolution or minimum 120 dB with 2560x1440 resolution",
        hlc,
    ),
    Requirement("11", "Ingress Protection", "IP67", ingress),
    Requirement(
        "12",
        "Maximum operating temperature",
        "60 degree Celsius",
        at_least("max_operating_temperature_c", 60, " °C"),
    ),
    Requirement(
        "13",
        "Low light sensitivity (colors/black and white)",
        "<=0.0225 lx (color)/0 lx (use of IR)",
        low_light,
    ),
    Requirement("14", "ONVIF compliance", "Yes", yes("onvif")),
    Requirement(
        "15",
        "Satisfying one of the safety standards",
        "EN 60950-1, cUL 60950-1, CAN/CSA-C22.2 No.60950-1-07",
        one_of(
            "safety_standards",
            frozenset({"EN 60950-1", "cUL 60950-1", "CAN/CSA-C22.2 No.60950-1-07"}),
        ),
    ),
)


def check_specs(specs: Specs) -> list[RequirementResult]:
    """One result per Appendix I line for a camera's declared specs."""
    return [requirement.evaluate(specs) for requirement in APPENDIX_I]


__all__ = ["APPENDIX_I", "at_most", "check_specs"]
