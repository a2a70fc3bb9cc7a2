"""The deadline watcher: approaching, overdue, extension missing, follow-up missed."""
