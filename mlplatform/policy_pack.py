"""Where the policy pack is, which Python the Pulumi CLI will run it with, and a self-contained copy of it.

How the Pulumi CLI runs a Python policy pack (pulumi/pulumi v3.259.0): ``pulumi preview --policy-pack DIR`` reads
``DIR/PulumiPolicy.yaml`` (pkg/resource/plugin/analyzer_plugin.go:138-142) and asks the Python language host to
run the directory (analyzer_plugin.go:202-207); the host runs ``python -u -m pulumi.policy <engine> DIR`` with DIR
as the working directory (sdk/python/cmd/pulumi-language-python/main.go:1609-1617, 1636-1639). That ``python``
is ``<virtualenv>/bin/python`` when ``runtime.options.virtualenv`` is set, relative to DIR unless absolute
(sdk/python/toolchain/pip.go:178-193, 583-591), else ``$PULUMI_PYTHON_CMD``, else the first ``python3`` or
``python`` on PATH (pip.go:307-355). Unlike other plugins, a policy pack gets no default virtualenv
(main.go:1540-1541 passes isPlugin false; the default is at main.go:281-288).

So the pack shipped in the package (``mlplatform pack path``) names no virtualenv: site-packages is no place for
one, and it runs with the Python whose environment is active (CI after ``pip install``, an activated virtualenv,
or this repository's ``.venv`` activated), which has mlplatform. ``mlplatform pack export DIR`` writes a copy
that names this interpreter's environment, for when another Python comes first on PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from mlplatform import installed_version, policies

PACK_DIR = Path(policies.__file__).resolve().parent
"""The pack as installed (in this repository: ``policies/``): PulumiPolicy.yaml, __main__.py, config/<stack>.json."""
MANIFEST = "PulumiPolicy.yaml"
ENTRY_POINT = "__main__.py"
CONFIG_DIR = "config"


def environment_prefix() -> Path | None:
    """This interpreter's environment as ``runtime.options.virtualenv`` can name it: a prefix whose
    ``bin/python`` (``Scripts/python.exe`` on Windows) is this Python; None outside a virtualenv."""
    if sys.prefix == sys.base_prefix:
        return None
    prefix = Path(sys.prefix)
    python = prefix / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return prefix if python.exists() else None


def pulumi_python(environ: dict[str, str] | None = None) -> str | None:
    """The Python the Pulumi CLI runs a pack without a virtualenv with: ``$PULUMI_PYTHON_CMD``, else ``python3``,
    else ``python`` on PATH (pip.go:307-355); None when there is none."""
    env = os.environ if environ is None else environ
    commands = [env["PULUMI_PYTHON_CMD"]] if env.get("PULUMI_PYTHON_CMD") else ["python3", "python"]
    for command in commands:
        found = shutil.which(command, path=env.get("PATH"))
        if found:
            return found
    return None


def same_environment(python: str) -> bool:
    """Whether ``python`` (a path) is an interpreter of this Python's environment (its bin directory)."""
    here = Path(sys.executable).parent
    try:
        return Path(python).parent.samefile(here)
    except OSError:
        return False


def interpreter_note(environ: dict[str, str] | None = None) -> str | None:
    """Why the Pulumi CLI would not run the installed pack with this environment's Python, and what to do; None
    when it would."""
    python = pulumi_python(environ)
    if python is not None and same_environment(python):
        return None
    found = f"with {python}" if python else "with no Python (none on PATH)"
    return (
        f"the Pulumi CLI would run this pack {found}, not {sys.executable}, which has mlplatform: activate its "
        f"environment, set PULUMI_PYTHON_CMD={sys.executable}, or use `mlplatform pack export DIR`"
    )


@dataclass(frozen=True)
class Exported:
    """What ``export`` wrote."""

    directory: Path
    virtualenv: Path | None
    configs: tuple[str, ...]


def manifest(virtualenv: Path | None, version: str) -> str:
    """The PulumiPolicy.yaml of an exported pack: the shipped one's description, this environment's virtualenv."""
    import yaml

    shipped = yaml.safe_load((PACK_DIR / MANIFEST).read_text(encoding="utf-8"))
    options: dict[str, str] = {"toolchain": "pip"}
    if virtualenv is not None:
        options["virtualenv"] = str(virtualenv)
    document = {
        "description": shipped["description"],
        "runtime": {"name": "python", "options": options},
        "version": version,
    }
    runs_with = (
        f"the Python of {virtualenv} (runtime.options.virtualenv)"
        if virtualenv is not None
        else "$PULUMI_PYTHON_CMD, else python3 on PATH (no virtualenv was active when it was exported)"
    )
    header = (
        f"# The mlplatform cost-guardrail policy pack, written by `mlplatform pack export` (mlplatform {version}).\n"
        f"# The Pulumi CLI runs it with {runs_with}, where mlplatform is installed;\n"
        "# export again after upgrading mlplatform or moving that environment.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, width=1000)


class ExportError(Exception):
    """The destination cannot take the pack."""


def export(directory: Path) -> Exported:
    """Write a self-contained pack to ``directory`` (created if missing; a previous export there is replaced):
    PulumiPolicy.yaml naming this environment, the shipped __main__.py, and config/<stack>.json."""
    target = directory / MANIFEST
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory}: not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not target.is_file():
        raise ExportError(f"{directory}: not empty and not a policy pack (no {MANIFEST}); choose an empty directory")
    if directory.resolve() == PACK_DIR:
        raise ExportError(f"{directory}: that is the installed pack itself")
    virtualenv = environment_prefix()
    (directory / CONFIG_DIR).mkdir(parents=True, exist_ok=True)
    target.write_text(manifest(virtualenv, installed_version()), encoding="utf-8")
    shutil.copyfile(PACK_DIR / ENTRY_POINT, directory / ENTRY_POINT)
    configs = sorted(p.name for p in (PACK_DIR / CONFIG_DIR).glob("*.json"))
    for name in configs:
        shutil.copyfile(PACK_DIR / CONFIG_DIR / name, directory / CONFIG_DIR / name)
    return Exported(directory=directory, virtualenv=virtualenv, configs=tuple(configs))
