"""ModelServer as a library user builds it: its name is checked on every path, and its namespace may be an Output."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from mlplatform import engine
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.k8s.model_server import ModelServer, ModelServerArgs
from mlplatform.components.k8s.request_log import RequestLogSink, RequestLogSinkArgs

LONG = "a-model-server-name-longer-than-knative-allows"


def server_args(**fields) -> dict:
    return {"namespace": "ml", "runtime": "mlflow", "storage_uri": "models:/ranker/3", **fields}


def test_raises_when_the_component_name_is_too_long_for_knative():
    # GIVEN no server_name WHEN the component's name (its default) is over 40 characters THEN it is refused,
    # naming the instance, before anything is registered
    def program():
        ModelServer(LONG, ModelServerArgs(**server_args()))

    with pytest.raises(ConfigError) as info:
        engine.run(program)
    assert str(info.value).startswith(f'ModelServer "{LONG}": 1 invalid setting:')
    assert info.value.paths() == ["args.server_name"]
    assert "at most 40 characters" in str(info.value) and "the default is the component name" in str(info.value)


def test_raises_when_the_server_name_is_too_long():
    with pytest.raises(ConfigError) as info:
        ModelServerArgs(**server_args(server_name=LONG))
    assert info.value.paths() == ["args.server_name"]


def test_takes_its_namespace_as_an_output_and_waits_for_it():
    def program():
        ns = k8s.core.v1.Namespace("serving", metadata={"name": "serving"})
        server = ModelServer("ranker", ModelServerArgs(**server_args(namespace=ns.metadata.name)))
        sink = RequestLogSink("logs", RequestLogSinkArgs(namespace=ns.metadata.name, log_url="s3://lake/logs/"))
        pulumi.export("url", server.url)
        pulumi.export("sink", sink.url)

    plan = engine.run(program)
    isvc = plan.one("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    namespace = plan.one("kubernetes:core/v1:Namespace")
    assert isvc.input("metadata.namespace") == "serving"
    assert namespace.urn in isvc.property_dependencies["metadata"]
    assert plan.outputs["url"] == "http://ranker-predictor.serving.svc.cluster.local"
    assert plan.outputs["sink"] == "http://request-log-sink.serving.svc.cluster.local"


def test_a_plain_namespace_is_still_checked():
    with pytest.raises(ConfigError) as info:
        ModelServerArgs(**server_args(namespace="Serving_NS"))
    assert info.value.paths() == ["args.namespace"]
    assert "must be a DNS label" in str(info.value)
