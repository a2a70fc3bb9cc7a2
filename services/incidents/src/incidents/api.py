"""Every router of the incidents service (all need an access token)."""

from fastapi import APIRouter

from incidents.calendar.routes import router as calendar_router
from incidents.followup.routes import router as follow_up_router
from incidents.gatelog.routes import router as gate_log_router
from incidents.incident.routes import router as incident_router
from incidents.notices.routes import router as notice_router
from incidents.promptness.routes import router as promptness_router

routers: list[APIRouter] = [
    notice_router,
    incident_router,
    follow_up_router,
    gate_log_router,
    promptness_router,
    calendar_router,
]
