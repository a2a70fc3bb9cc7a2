"""The services of camwatch, declared once.

The gateway's upstreams, the contracts export, the test and development stacks and the deploy
tests read this list (the YAML of docker-compose and helm is checked against it), so a new
service starts here. It lives in the kit because the gateway may import the kit, never a
service.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

SERVICE_PORTS: Final[Mapping[str, int]] = MappingProxyType(
    {"access": 8101, "registry": 8102, "incidents": 8103, "risk": 8104, "evidence": 8105}
)
"""Service name → its development port (each service's `Settings.port` default)."""

SERVICES: Final[tuple[str, ...]] = tuple(SERVICE_PORTS)
"""The service names, in start-up order (access first: the others verify its tokens)."""
