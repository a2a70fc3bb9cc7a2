"""The real Helm binary and Kubernetes schema validation for the chart tests.

Helm is fetched once into var/tools/ by scripts/deploy-tools.sh (run by `make test` through
scripts/system-packages.sh); the schemas come with the kubernetes-validate wheel. Rendering
goes through `helm template`, so what is checked is what a cluster would receive.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

HELM_VERSION = "3.10.1"
# The oldest Kubernetes version the chart supports and the newest the validator knows: every
# rendered manifest must be valid for both.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")


def helm_binary(root: Path) -> Path:
    """var/tools/helm-<version>/helm, or a clear error naming the script that fetches it."""
    binary = root / "var" / "tools" / f"helm-{HELM_VERSION}" / "helm"
    if not binary.is_file():
        raise FileNotFoundError(f"{binary} is missing: run scripts/deploy-tools.sh")
    return binary


def helm(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run helm with a private home (no repositories, plugins or kube config of the user)."""
    home = root / "var" / "tools" / "helm-home"
    env = {
        "PATH": "/usr/bin:/bin",
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECONFIG": "/dev/null",
    }
    return subprocess.run(  # noqa: S603 - our pinned binary, arguments from the tests
        [str(helm_binary(root)), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def render(
    root: Path,
    chart: Path,
    *,
    values: tuple[Path, ...] = (),
    sets: tuple[str, ...] = (),
    kube_version: str = KUBERNETES_VERSIONS[0],
    release: str = "camwatch",
    namespace: str = "camwatch",
) -> list[dict[str, Any]]:
    """`helm template` of the chart: every rendered object (hooks included), in order."""
    args = ["template", release, str(chart), "--namespace", namespace]
    args += ["--kube-version", kube_version]
    for path in values:
        args += ["--values", str(path)]
    for assignment in sets:
        args += ["--set", assignment]
    result = helm(root, *args)
    if result.returncode != 0:
        raise AssertionError(f"helm template failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def schema_errors(manifest: dict[str, Any], kube_version: str) -> str | None:
    """Why the manifest is invalid for that Kubernetes version (strict: no unknown field)."""
    try:
        kubernetes_validate.validate(manifest, kube_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return f"{manifest['kind']}: no schema for {error}"
    return None
