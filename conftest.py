"""Root conftest: the kit's fixtures (databases, NATS, S3, tokens) for every test directory."""

pytest_plugins = ["servicekit.testing.plugin"]
