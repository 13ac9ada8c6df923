"""Run a Pulumi program in-process under the SDK's mocks and return a :class:`~mlplatform.plan.Plan`.

The program is the root program of a project directory (as ``pulumi up`` would run it, with the stack's
configuration read from where Pulumi reads it), or any Python callable. Every resource registration is
recorded with its inputs, the outputs the mocks computed (:mod:`mlplatform.mocks`), its parent, dependencies,
provider and resource options.

Runs are isolated: each executes in a fresh ``contextvars.Context`` with its own event loop and root stack, so
several programs or stacks can be planned one after another in one process (pulumi/pulumi#8280).

Example::

    from mlplatform import engine

    def program():
        import pulumi_aws as aws
        aws.s3.Bucket("data")

    plan = engine.run(program, config={"aws:region": "eu-west-1"})
    assert plan.one("aws:s3/bucket:Bucket").output("region") == "eu-west-1"

    plan = engine.run("examples/aws-gpu-cluster", stack="dev")   # a program directory and its stack file
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import os
import runpy
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc, rpc_manager, settings
from pulumi.runtime.proto import engine_pb2, resource_pb2
from pulumi.runtime.stack import run_in_stack

from mlplatform.components.base.types import PULUMI_GET_RESOURCE, PULUMI_STACK

from . import stackconfig
from .mocks import MockEnv, PlatformMocks, ResourceArgsWithUrn
from .plan import UNKNOWN, Diagnostic, Plan, PlanResource, Secret, reveal
from .stackconfig import EngineError

__all__ = ["EngineError", "Program", "RecordingMonitor", "run"]

Program = Callable[[], Any] | str | os.PathLike

_SIG = rpc._special_sig_key
_SECRET_SIG = rpc._special_secret_sig
_RESOURCE_SIG = rpc._special_resource_sig
_ASSET_SIG = rpc._special_asset_sig
_ARCHIVE_SIG = rpc._special_archive_sig
_UNKNOWN = rpc.UNKNOWN

# Run programs one at a time per process: the SDK keeps module-level state (callback servers, sys.path and
# the working directory for program directories) that a context alone does not isolate.
_RUN_LOCK = threading.Lock()


# --- converting wire values to Plan values ----------------------------------------------------------------


def _from_wire(value: Any) -> Any:
    """JSON form of a protobuf Struct -> Plan value: secrets as Secret, resource refs as URNs."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            return Secret(_from_wire(value.get("value")))
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig == _ASSET_SIG:
            return {k: v for k, v in value.items() if k in ("path", "text", "uri")}
        if sig == _ARCHIVE_SIG:
            return {"archive": {k: _from_wire(v) for k, v in value.items() if k != _SIG}}
        return {k: _from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_wire(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value == _UNKNOWN:
        return UNKNOWN
    return value


def _to_wire(value: Any) -> Any:
    if value is UNKNOWN:
        return _UNKNOWN
    if isinstance(value, Secret):
        return {_SIG: _SECRET_SIG, "value": _to_wire(value.value)}
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_wire(v) for v in value]
    return value


def _holds_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(_to_wire(value), struct_pb2.Struct())


def _plain_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return _from_wire(json_format.MessageToDict(struct)) if struct is not None else {}


# --- the recording monitor --------------------------------------------------------------------------------


class RecordingMonitor(sdk_mocks.MockMonitor):
    """A MockMonitor that records every registration with its options, and makes URNs like the real engine."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.records: list[PlanResource] = []
        self.outputs_by_urn: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != PULUMI_STACK:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{settings.get_stack()}::{settings.get_project()}::{qualified}::{name}"

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        record = PlanResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
            options=_options(request),
        )
        if request.type == PULUMI_STACK:
            with self._lock:
                self.records.append(record)
            return resource_pb2.RegisterResourceResponse(urn=urn)

        inputs = _plain_dict(request.object)
        args = ResourceArgsWithUrn(
            urn,
            typ=request.type,
            name=request.name,
            inputs=reveal(inputs),
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        new_id, state = self.mocks.new_resource(args)
        rid = new_id or ""
        if not request.custom:
            rid, state = "", {}
        # Secretness flows from inputs to the outputs of the same name (a property holding a secret anywhere
        # inside, such as a Helm release's values, comes back secret as a whole), and to additionalSecretOutputs.
        secret_keys = {k for k, v in inputs.items() if _holds_secret(v)}
        secret_keys.update(request.additionalSecretOutputs)
        state = {k: Secret(v) if k in secret_keys and not isinstance(v, Secret) else v for k, v in state.items()}

        record.inputs = inputs
        record.outputs = state
        record.id = rid or None
        with self._lock:
            self.records.append(record)
            self.resources[urn] = sdk_mocks.MockMonitor.ResourceRegistration(urn, rid, reveal(state))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=_struct(state))

    def RegisterResourceOutputs(self, request):
        with self._lock:
            self.outputs_by_urn[request.urn] = _plain_dict(request.outputs)
        return super().RegisterResourceOutputs(request)

    def Invoke(self, request):
        # The base class converts results with the SDK's async serializer; answer directly instead.
        if request.tok == PULUMI_GET_RESOURCE:
            return super().Invoke(request)
        args = reveal(_plain_dict(request.args))
        result = self.mocks.call(sdk_mocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        ret = result[0] if isinstance(result, tuple) else result
        # "return" is a Python keyword: the field is set by name.
        fields: dict[str, Any] = {"return": _struct(ret or {})}
        return resource_pb2.ResourceInvokeResponse(**fields)


def _options(request) -> dict[str, Any]:
    return {
        "protect": bool(request.protect) if request.HasField("protect") else False,
        "retain_on_delete": bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
        "ignore_changes": list(request.ignoreChanges),
        "delete_before_replace": bool(request.deleteBeforeReplace),
        "replace_on_changes": list(request.replaceOnChanges),
        "additional_secret_outputs": list(request.additionalSecretOutputs),
        "aliases": [a.urn or a.spec.name for a in request.aliases] + list(request.aliasURNs),
        "import_id": request.importId or None,
        "deleted_with": request.deletedWith or None,
        "custom_timeouts": (
            {
                "create": request.customTimeouts.create,
                "update": request.customTimeouts.update,
                "delete": request.customTimeouts.delete,
            }
            if request.HasField("customTimeouts")
            else None
        ),
    }


class RecordingEngine:
    """Stands in for the engine's log service: keeps what the program logged (pulumi.log.*), with the URN."""

    _SEVERITY = {
        engine_pb2.DEBUG: "debug",
        engine_pb2.INFO: "info",
        engine_pb2.WARNING: "warning",
        engine_pb2.ERROR: "error",
    }

    def __init__(self) -> None:
        self.records: list[Diagnostic] = []

    def Log(self, request) -> None:
        if request.severity == engine_pb2.DEBUG:  # the SDK's own tracing, thousands of lines per plan
            return
        self.records.append(
            Diagnostic(self._SEVERITY.get(request.severity, "info"), request.message, request.urn or None)
        )


# --- running ----------------------------------------------------------------------------------------------


def run(
    program: Program,
    *,
    stack: str = "dev",
    project: str | None = None,
    config: Mapping[str, Any] | None = None,
    secrets: Iterable[str] = (),
    mocks: pulumi.runtime.Mocks | None = None,
    organization: str = "organization",
) -> Plan:
    """Run ``program`` under mocks for ``stack`` and return its :class:`Plan`.

    :param program: a callable (the body of a Pulumi program), or a project directory with a ``Pulumi.yaml``.
    :param stack: stack name; for a directory, its configuration is read from the stack file.
    :param project: project name for a callable (default ``test``); a directory's ``Pulumi.yaml`` decides.
    :param config: extra or overriding configuration, ``{"aws:region": "us-west-2", "mlplatform:x": {...}}``;
        keys without a namespace belong to the project; non-string values are passed as JSON, as the CLI does.
    :param secrets: configuration keys to treat as secret.
    :param mocks: replace the table-driven :class:`~mlplatform.mocks.PlatformMocks`.
    :raises EngineError: the project or stack file is missing or unreadable.
    :raises Exception: whatever the program raised (e.g. :class:`mlplatform.components.base.errors.ConfigError`).
    """
    secret_keys = set(secrets)
    program_dir: Path | None = None
    if callable(program):
        project = project or "test"
        values: dict[str, str] = {}
    else:
        program_dir = Path(program).resolve()
        proj = stackconfig.load_project(program_dir)
        project = proj.name
        loaded = stackconfig.load_stack_config(proj, stack)
        values, secret_keys = dict(loaded.values), secret_keys | loaded.secret_keys
    for key, value in (config or {}).items():
        full = stackconfig.qualify(key, project)
        values[full] = stackconfig.wire_value(value)
    secret_keys = {stackconfig.qualify(k, project) for k in secret_keys}

    env = MockEnv.from_config(project, stack, values)
    the_mocks = mocks or PlatformMocks(env)

    with _RUN_LOCK, collector_for_bulk_work():
        ctx = contextvars.Context()
        return ctx.run(
            _run_in_context, program, program_dir, project, stack, values, secret_keys, the_mocks, organization
        )


@contextlib.contextmanager
def collector_for_bulk_work():
    """Keep the cyclic collector from rescanning the heap thousands of times per plan (or policy check).

    The SDK allocates many short-lived cyclic objects (futures, tasks, outputs) per resource, and the Plan
    keeps every record alive; with the default thresholds each full collection rescans the imported provider
    SDKs and the growing Plan, which made planning 5,000 resources 2-3x slower (benchmarks/README.md).
    Objects that existed before the run are frozen out of collection and young collections run less often.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _run_in_context(program, program_dir, project, stack, values, secret_keys, the_mocks, organization) -> Plan:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = RecordingMonitor(the_mocks)
    log = RecordingEngine()

    # Everything set_mocks sets, plus the per-run state MockSettings would otherwise share between runs.
    settings.configure(
        sdk_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=log,
            project=project,
            stack=stack,
            dry_run=False,
            organization=organization,
            root_directory=str(program_dir) if program_dir else None,
            callbacks=None,
            rpc_manager=rpc_manager.RPCManager(),
            outputs=set(),
            lock=threading.Lock(),
            package_refs={},
            base_providers_by_ref={},
            legacy_apply_enabled=False,
            parallel=None,
        )
    )
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(values), sorted(secret_keys))

    body = program if program_dir is None else _directory_program(program_dir)
    try:
        loop.run_until_complete(run_in_stack(body))
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)

    resources = list(monitor.records)
    for r in resources:
        if not r.custom and r.urn in monitor.outputs_by_urn:
            r.outputs = monitor.outputs_by_urn[r.urn]
    stack_record = next((r for r in resources if r.type == PULUMI_STACK), None)
    outputs = monitor.outputs_by_urn.get(stack_record.urn, {}) if stack_record else {}
    plan_config = {k: (Secret(v) if k in secret_keys else v) for k, v in values.items()}
    return Plan(
        project=project, stack=stack, resources=resources, outputs=outputs, diagnostics=log.records, config=plan_config
    )


def _directory_program(program_dir: Path) -> Callable[[], None]:
    """Run a project's main program the way Pulumi's Python host does: as ``__main__``, from its directory."""
    main = stackconfig.load_project(program_dir).main_path

    def body() -> None:
        old_cwd, old_path = os.getcwd(), list(sys.path)
        os.chdir(program_dir)
        sys.path.insert(0, str(program_dir))
        if main.is_dir():
            sys.path.insert(0, str(main))
        try:
            runpy.run_path(str(main / "__main__.py" if main.is_dir() else main), run_name="__main__")
        finally:
            os.chdir(old_cwd)
            sys.path[:] = old_path

    return body
