"""A policy pack started as the Pulumi CLI starts it, and spoken to over the analyzer gRPC protocol on 127.0.0.1.

The CLI (pulumi/pulumi v3.259.0) has the Python language host run ``python -u -m pulumi.policy <engine> <pack
dir>`` with the pack directory as the working directory (sdk/python/cmd/pulumi-language-python/main.go:1609-1639),
``python`` being ``<virtualenv>/bin/python`` when PulumiPolicy.yaml names a virtualenv, else ``$PULUMI_PYTHON_CMD``
or python3 on PATH (sdk/python/toolchain/pip.go:178-193, 307-355): :func:`pack_command` resolves it the same way
(``mlplatform.policy_pack`` explains it). The pack prints its port, then serves GetAnalyzerInfo, Configure,
Analyze and AnalyzeStack. It never calls the engine, so a placeholder address stands in for it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import grpc
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from mlplatform.policy_pack import pulumi_python

MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")
LEVELS = {
    "advisory": analyzer_pb2.EnforcementLevel.Value("ADVISORY"),
    "mandatory": MANDATORY,
    "disabled": analyzer_pb2.EnforcementLevel.Value("DISABLED"),
}
ENGINE_PLACEHOLDER = "127.0.0.1:1"


def pack_python(pack_dir: Path, environ: Mapping[str, str]) -> str:
    """The interpreter the CLI runs ``pack_dir`` with, from its PulumiPolicy.yaml and the environment."""
    manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text())
    virtualenv = (manifest["runtime"].get("options") or {}).get("virtualenv")
    if virtualenv:
        return str(pack_dir / virtualenv / "bin" / "python")  # an absolute virtualenv replaces pack_dir
    found = pulumi_python(dict(environ))
    assert found, "no Python for the pack: neither PULUMI_PYTHON_CMD nor python3 on PATH"
    return found


def pack_command(pack_dir: Path, environ: Mapping[str, str]) -> list[str]:
    return [pack_python(pack_dir, environ), "-u", "-m", "pulumi.policy", ENGINE_PLACEHOLDER, str(pack_dir)]


@contextmanager
def running_pack(pack_dir: Path, environ: Mapping[str, str] | None = None) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack in ``pack_dir`` started as the CLI starts it, with ``environ`` (default: this process's)."""
    env = dict(os.environ if environ is None else environ)
    proc = subprocess.Popen(
        pack_command(pack_dir, env),
        cwd=pack_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip() if proc.stdout else ""
        assert port.isdigit(), f"the pack did not print its port: {port!r} {proc.stderr.read() if proc.stderr else ''}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=120)  # a loaded machine starts the pack slowly
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def struct(value: dict) -> struct_pb2.Struct:
    return json_format.ParseDict(value, struct_pb2.Struct())


def configure(stub: analyzer_pb2_grpc.AnalyzerStub, config: dict) -> None:
    """What the CLI sends for --policy-pack-config: per policy, a level and its settings (defaults filled)."""
    from mlplatform.check import resolve_config
    from mlplatform.policies.pack import POLICIES

    resolved = resolve_config(POLICIES, config)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, r in resolved.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[r.level.value], properties=struct(r.settings))
        )
    stub.Configure(request)
