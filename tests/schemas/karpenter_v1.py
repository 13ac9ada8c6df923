"""The fields of Karpenter's v1 API (karpenter.sh/v1 NodePool, karpenter.k8s.aws/v1 EC2NodeClass) as JSON schema.

Written from the v1 CRDs' openAPIV3Schema (aws/karpenter-provider-aws, pkg/apis/crds), restricted to what a
NodePool and EC2NodeClass may contain, with additionalProperties false so a misspelt or invented field fails.
CEL rules are expressed where they matter to us (alias exclusivity, In needs values).
"""

from __future__ import annotations

QUANTITY = {
    "anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?([KMGTPE]i|[numkMGTPE])?$"}]
}
DURATION = {"type": "string", "pattern": r"^(([0-9]+(s|m|h))+)|(Never)$"}
LABEL_VALUE = {"type": "string", "maxLength": 63, "pattern": r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


TAINT = _obj(
    {
        "key": {"type": "string", "minLength": 1},
        "value": {"type": "string"},
        "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
        "timeAdded": {"type": "string"},
    },
    ["key", "effect"],
)
REQUIREMENT = _obj(
    {
        "key": {"type": "string", "maxLength": 316},
        "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]},
        "values": {"type": "array", "items": {"type": "string"}},
        "minValues": {"type": "integer", "minimum": 1, "maximum": 50},
    },
    ["key", "operator"],
)
# A requirement with operator In needs at least one value (a CEL rule in the CRD).
REQUIREMENT["allOf"] = [
    {
        "if": {"properties": {"operator": {"const": "In"}}},
        "then": {"properties": {"values": {"minItems": 1}}, "required": ["values"]},
    }
]

NODE_POOL_SPEC = _obj(
    {
        "template": _obj(
            {
                "metadata": _obj(
                    {
                        "labels": {"type": "object", "additionalProperties": LABEL_VALUE, "maxProperties": 100},
                        "annotations": STRING_MAP,
                    }
                ),
                "spec": _obj(
                    {
                        "nodeClassRef": _obj(
                            {
                                "group": {"type": "string", "minLength": 1},
                                "kind": {"type": "string", "minLength": 1},
                                "name": {"type": "string", "minLength": 1},
                            },
                            ["group", "kind", "name"],
                        ),
                        "requirements": {"type": "array", "items": REQUIREMENT, "maxItems": 100},
                        "taints": {"type": "array", "items": TAINT},
                        "startupTaints": {"type": "array", "items": TAINT},
                        "expireAfter": DURATION,
                        "terminationGracePeriod": {"type": "string", "pattern": r"^([0-9]+(s|m|h))+$"},
                    },
                    ["nodeClassRef", "requirements"],
                ),
            },
            ["spec"],
        ),
        "disruption": _obj(
            {
                "consolidationPolicy": {"enum": ["WhenEmpty", "WhenEmptyOrUnderutilized"]},
                "consolidateAfter": DURATION,
                "budgets": {
                    "type": "array",
                    "maxItems": 50,
                    "items": _obj(
                        {
                            "nodes": {"type": "string", "pattern": r"^((100|[0-9]{1,2})%|[0-9]+)$"},
                            "schedule": {"type": "string"},
                            "duration": {"type": "string"},
                            "reasons": {"type": "array", "items": {"enum": ["Underutilized", "Empty", "Drifted"]}},
                        },
                        ["nodes"],
                    ),
                },
            },
            ["consolidateAfter"],
        ),
        "limits": {"type": "object", "additionalProperties": QUANTITY},
        "weight": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    ["template"],
)

SELECTOR_TERM = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {"id": {"type": "string"}, "tags": STRING_MAP},
}
EC2_NODE_CLASS_SPEC = _obj(
    {
        "amiFamily": {"enum": ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022"]},
        "amiSelectorTerms": {
            "type": "array",
            "minItems": 1,
            "maxItems": 30,
            "items": _obj(
                {
                    "alias": {
                        "type": "string",
                        "maxLength": 30,
                        "pattern": r"^(al2|al2023|bottlerocket|windows2019|windows2022)@.+$",
                    },
                    "id": {"type": "string", "pattern": "ami-[0-9a-z]+"},
                    "name": {"type": "string"},
                    "owner": {"type": "string"},
                    "tags": STRING_MAP,
                    "ssmParameter": {"type": "string"},
                }
            ),
        },
        "subnetSelectorTerms": {"type": "array", "minItems": 1, "items": SELECTOR_TERM},
        "securityGroupSelectorTerms": {
            "type": "array",
            "minItems": 1,
            "items": {**SELECTOR_TERM, "properties": {**SELECTOR_TERM["properties"], "name": {"type": "string"}}},
        },
        "capacityReservationSelectorTerms": {"type": "array"},
        "role": {"type": "string", "minLength": 1},
        "instanceProfile": {"type": "string", "minLength": 1},
        "userData": {"type": "string"},
        "tags": STRING_MAP,
        "kubelet": {"type": "object"},
        "blockDeviceMappings": {
            "type": "array",
            "maxItems": 50,
            "items": _obj(
                {
                    "deviceName": {"type": "string"},
                    "rootVolume": {"type": "boolean"},
                    "ebs": _obj(
                        {
                            "deleteOnTermination": {"type": "boolean"},
                            "encrypted": {"type": "boolean"},
                            "iops": {"type": "integer"},
                            "kmsKeyID": {"type": "string"},
                            "snapshotID": {"type": "string"},
                            "throughput": {"type": "integer", "minimum": 125, "maximum": 1000},
                            "volumeSize": {"type": "string", "pattern": r"^[1-9][0-9]{0,4}(Gi|G|Ti|T)$"},
                            "volumeType": {"enum": ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"]},
                            "volumeInitializationRate": {"type": "integer"},
                        }
                    ),
                }
            ),
        },
        "instanceStorePolicy": {"enum": ["RAID0"]},
        "detailedMonitoring": {"type": "boolean"},
        "associatePublicIPAddress": {"type": "boolean"},
        "context": {"type": "string"},
        "metadataOptions": _obj(
            {
                "httpEndpoint": {"enum": ["enabled", "disabled"]},
                "httpProtocolIPv6": {"enum": ["enabled", "disabled"]},
                "httpPutResponseHopLimit": {"type": "integer", "minimum": 1, "maximum": 64},
                "httpTokens": {"enum": ["required", "optional"]},
            }
        ),
    },
    ["amiSelectorTerms", "subnetSelectorTerms", "securityGroupSelectorTerms"],
)
# An alias AMI term stands alone (CEL: 'alias' is mutually exclusive ... with other amiSelectorTerms).
EC2_NODE_CLASS_SPEC["allOf"] = [{"oneOf": [{"required": ["role"]}, {"required": ["instanceProfile"]}]}]

SCHEMAS = {
    ("karpenter.sh/v1", "NodePool"): NODE_POOL_SPEC,
    ("karpenter.k8s.aws/v1", "EC2NodeClass"): EC2_NODE_CLASS_SPEC,
}
