"""The registry's own tables (a private SQLModel registry keeps its metadata apart)."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from servicekit.events import attach_event_tables


class RegistryModel(SQLModel, registry=registry()):
    """Base of every table the registry service owns."""


metadata = RegistryModel.metadata
attach_event_tables(metadata)
