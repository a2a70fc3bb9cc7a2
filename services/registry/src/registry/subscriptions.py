"""Everything the registry consumes: `{subject: handler}`."""

from servicekit.events import EventHandler

subscriptions: dict[str, EventHandler] = {}
