"""mlplatform tooling: offline engine, plan, cost, policy check and CLI; the components are ``mlplatform.components``
and the policy pack ``mlplatform.policies``.

``mlplatform.__version__`` is the installed distribution's version, read from its metadata on first use.
"""

from __future__ import annotations

DISTRIBUTION = "mlplatform"


def installed_version() -> str:
    """The installed distribution's version (its metadata), or ``unknown`` when run from a bare checkout."""
    # Imported here: `mlplatform plan` does not otherwise import importlib.metadata.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
