"""Root conftest: the kit's fixtures (databases, NATS, S3, tokens) for every test directory."""

# The real `gateway` package must be imported before pytest (importmode=importlib) collects
# `gateway/tests/`, or pytest registers the `gateway/` folder itself as a namespace module
# called `gateway` and `gateway.main` can no longer be imported.
import gateway  # noqa: F401, I001 - first, before pytest collects
import pytest

pytest_plugins = ["devkit.testing.plugin"]


def pytest_collection_modifyitems(config: object, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs two workers), every test on the shared whole-stack
    fixture goes to one worker (`--dist loadgroup`), so the stack starts once, not per worker."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("stack"))
