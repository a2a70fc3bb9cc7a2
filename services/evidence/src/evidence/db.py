"""The evidence service's own tables (a private SQLModel registry keeps its metadata apart)."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from servicekit.events import attach_event_tables


class EvidenceModel(SQLModel, registry=registry()):
    """Base of every table the evidence service owns."""


metadata = EvidenceModel.metadata
attach_event_tables(metadata)
