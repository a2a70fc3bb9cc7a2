"""Root conftest: the kit's fixtures (databases, NATS, S3, tokens) for every test directory."""

# The real `gateway` package must be imported before pytest (importmode=importlib) collects
# `gateway/tests/`, or pytest registers the `gateway/` folder itself as a namespace module
# called `gateway` and `gateway.main` can no longer be imported.
import gateway  # noqa: F401

pytest_plugins = ["devkit.testing.plugin"]
