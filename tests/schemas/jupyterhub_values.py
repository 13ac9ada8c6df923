"""The values of the JupyterHub chart (zero-to-jupyterhub) as JSON schema, for the sections the platform sets.

Written from the chart's values schema and default values (jupyterhub/values.schema.yaml, values.yaml; the key
tree has held from 3.0 through 4.3): like upstream, every object forbids keys it does not know, so a misspelt or
invented value fails here as it fails `helm install`. Sections the platform never sets are left open. Upstream's
cross-field rule that concerns us is here too: the iptables metadata block and a NetworkPolicy that admits the
metadata server are mutually exclusive (the chart refuses the combination since 3.0).
"""

from __future__ import annotations

from typing import Any

OPEN: dict[str, Any] = {}  # a section the platform leaves to the chart's defaults
STRING = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
NUMBER = {"type": "number"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
LIST = {"type": "array"}
NULLABLE_STRING = {"type": ["string", "null"]}


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


RESOURCES = obj(requests=STRING_MAP, limits=STRING_MAP, claims=LIST)
EGRESS_ALLOW_RULES = obj(
    cloudMetadataServer=BOOL,
    dnsPortsCloudMetadataServer=BOOL,
    dnsPortsKubeSystemNamespace=BOOL,
    dnsPortsPrivateIPs=BOOL,
    nonPrivateIPs=BOOL,
    privateIPs=BOOL,
)
NETWORK_POLICY = obj(
    enabled=BOOL,
    ingress=LIST,
    egress=LIST,
    egressAllowRules=EGRESS_ALLOW_RULES,
    interNamespaceAccessLabels={"enum": ["accept", "ignore"]},
    allowedIngressPorts=LIST,
)
IMAGE = obj(name=STRING, tag=STRING, pullPolicy=NULLABLE_STRING, pullSecrets=LIST)
NODE_PURPOSE = obj(matchNodePurpose={"enum": ["require", "prefer", "ignore"]})
# KubeSpawner's profile_list entries (kubespawner's schema for profiles): overrides are KubeSpawner traits.
PROFILE = {
    "type": "object",
    "properties": {
        "display_name": STRING,
        "slug": STRING,
        "description": STRING,
        "default": BOOL,
        "kubespawner_override": {"type": "object"},
        "profile_options": {"type": "object"},
    },
    "required": ["display_name"],
    "additionalProperties": False,
}

VALUES = obj(
    fullnameOverride=OPEN,
    nameOverride=OPEN,
    enabled=OPEN,
    custom=OPEN,
    imagePullSecret=OPEN,
    imagePullSecrets=OPEN,
    hub=obj(
        revisionHistoryLimit=OPEN,
        config={"type": "object", "additionalProperties": {"type": "object"}},
        service=OPEN,
        baseUrl=STRING,
        cookieSecret=OPEN,
        initContainers=LIST,
        nodeSelector=STRING_MAP,
        tolerations=LIST,
        concurrentSpawnLimit=INT,
        consecutiveFailureLimit=INT,
        activeServerLimit=OPEN,
        deploymentStrategy=OPEN,
        db=obj(
            type={"enum": ["sqlite-pvc", "sqlite-memory", "mysql", "postgres", "other"]},
            upgrade=OPEN,
            pvc=obj(
                annotations=STRING_MAP,
                selector=OPEN,
                accessModes=LIST,
                storage=STRING,
                subPath=OPEN,
                storageClassName=NULLABLE_STRING,
            ),
            url=OPEN,
            password=OPEN,
        ),
        labels=STRING_MAP,
        annotations=STRING_MAP,
        command=LIST,
        args=LIST,
        extraConfig=OPEN,
        extraFiles=OPEN,
        extraEnv=OPEN,
        extraContainers=LIST,
        extraVolumes=LIST,
        extraVolumeMounts=LIST,
        image=IMAGE,
        resources=RESOURCES,
        podSecurityContext=OPEN,
        containerSecurityContext=OPEN,
        lifecycle=OPEN,
        loadRoles=OPEN,
        services=OPEN,
        pdb=OPEN,
        networkPolicy=NETWORK_POLICY,
        allowNamedServers=BOOL,
        namedServerLimitPerUser=OPEN,
        authenticatePrometheus=OPEN,
        redirectToServer=OPEN,
        shutdownOnLogout=OPEN,
        templatePaths=LIST,
        templateVars=OPEN,
        livenessProbe=OPEN,
        readinessProbe=OPEN,
        existingSecret=OPEN,
        serviceAccount=OPEN,
        extraPodSpec=OPEN,
    ),
    rbac=OPEN,
    proxy=obj(
        secretToken=OPEN,
        annotations=STRING_MAP,
        deploymentStrategy=OPEN,
        service=obj(
            type={"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]},
            labels=STRING_MAP,
            annotations=STRING_MAP,
            nodePorts=OPEN,
            disableHttpPort=BOOL,
            extraPorts=LIST,
            loadBalancerIP=OPEN,
            loadBalancerSourceRanges=LIST,
            ipFamilyPolicy=OPEN,
            ipFamilies=OPEN,
        ),
        chp=obj(
            revisionHistoryLimit=OPEN,
            containerSecurityContext=OPEN,
            image=IMAGE,
            extraCommandLineFlags=LIST,
            livenessProbe=OPEN,
            readinessProbe=OPEN,
            resources=RESOURCES,
            defaultTarget=OPEN,
            errorTarget=OPEN,
            extraEnv=OPEN,
            nodeSelector=STRING_MAP,
            tolerations=LIST,
            networkPolicy=NETWORK_POLICY,
            pdb=OPEN,
            extraPodSpec=OPEN,
        ),
        traefik=OPEN,
        secretSync=OPEN,
        labels=STRING_MAP,
        https=obj(enabled=BOOL, type=OPEN, letsencrypt=OPEN, manual=OPEN, secret=OPEN, hosts=LIST),
    ),
    singleuser=obj(
        podNameTemplate=OPEN,
        extraTolerations=LIST,
        nodeSelector=STRING_MAP,
        extraNodeAffinity=OPEN,
        extraPodAffinity=OPEN,
        extraPodAntiAffinity=OPEN,
        networkTools=OPEN,
        cloudMetadata=obj(blockWithIptables=BOOL, ip=STRING),
        networkPolicy=NETWORK_POLICY,
        events=BOOL,
        extraAnnotations=STRING_MAP,
        extraLabels=STRING_MAP,
        extraFiles=OPEN,
        extraEnv={"type": "object", "additionalProperties": {"type": ["string", "object"]}},
        lifecycleHooks=OPEN,
        initContainers=LIST,
        extraContainers=LIST,
        allowPrivilegeEscalation=BOOL,
        uid=OPEN,
        fsGid=OPEN,
        serviceAccountName=NULLABLE_STRING,
        storage=obj(
            type={"enum": ["dynamic", "static", "none"]},
            extraLabels=STRING_MAP,
            extraVolumes=LIST,
            extraVolumeMounts=LIST,
            static=OPEN,
            capacity=STRING,
            homeMountPath=STRING,
            dynamic=obj(
                storageClass=NULLABLE_STRING,
                pvcNameTemplate=STRING,
                volumeNameTemplate=STRING,
                storageAccessModes=LIST,
                subPath=OPEN,
            ),
        ),
        image=IMAGE,
        startTimeout=INT,
        cpu=obj(limit={"type": ["number", "null"]}, guarantee={"type": ["number", "null"]}),
        memory=obj(limit={"type": ["string", "number", "null"]}, guarantee={"type": ["string", "number", "null"]}),
        extraResource=obj(limits=STRING_MAP, guarantees=STRING_MAP),
        cmd=OPEN,
        defaultUrl=NULLABLE_STRING,
        extraPodConfig=OPEN,
        profileList={"type": "array", "items": PROFILE},
    ),
    scheduling=obj(
        userScheduler=obj(
            enabled=BOOL,
            revisionHistoryLimit=OPEN,
            replicas=INT,
            logLevel=INT,
            plugins=OPEN,
            pluginConfig=OPEN,
            containerSecurityContext=OPEN,
            image=OPEN,
            nodeSelector=STRING_MAP,
            tolerations=LIST,
            labels=STRING_MAP,
            annotations=STRING_MAP,
            pdb=OPEN,
            resources=RESOURCES,
            serviceAccount=OPEN,
            extraPodSpec=OPEN,
        ),
        podPriority=obj(
            enabled=BOOL,
            globalDefault=BOOL,
            defaultPriority=INT,
            imagePullerPriority=INT,
            userPlaceholderPriority=INT,
        ),
        userPlaceholder=obj(
            enabled=BOOL,
            image=OPEN,
            revisionHistoryLimit=OPEN,
            replicas=INT,
            labels=STRING_MAP,
            annotations=STRING_MAP,
            containerSecurityContext=OPEN,
            resources=RESOURCES,
            extraPodSpec=OPEN,
        ),
        corePods=obj(tolerations=LIST, nodeAffinity=NODE_PURPOSE),
        userPods=obj(tolerations=LIST, nodeAffinity=NODE_PURPOSE),
    ),
    prePuller=obj(
        revisionHistoryLimit=OPEN,
        labels=STRING_MAP,
        annotations=STRING_MAP,
        resources=RESOURCES,
        containerSecurityContext=OPEN,
        extraTolerations=LIST,
        hook=obj(
            enabled=BOOL,
            pullOnlyOnChanges=BOOL,
            image=OPEN,
            containerSecurityContext=OPEN,
            podSchedulingWaitDuration=OPEN,
            nodeSelector=STRING_MAP,
            tolerations=LIST,
            resources=RESOURCES,
            serviceAccount=OPEN,
        ),
        continuous=obj(enabled=BOOL),
        pullProfileListImages=BOOL,
        extraImages=OPEN,
        pause=OPEN,
    ),
    ingress=obj(
        enabled=BOOL,
        annotations={"type": "object"},
        ingressClassName=NULLABLE_STRING,
        hosts={"type": "array", "items": STRING},
        pathSuffix=OPEN,
        pathType={"enum": ["Exact", "Prefix", "ImplementationSpecific"]},
        tls=LIST,
        extraPaths=LIST,
    ),
    httpRoute=OPEN,
    cull=obj(
        enabled=BOOL,
        users=BOOL,
        adminUsers=BOOL,
        removeNamedServers=BOOL,
        timeout=INT,
        every=INT,
        concurrency=INT,
        maxAge=INT,
    ),
    debug=OPEN,
    global_=OPEN,
)
VALUES["properties"]["global"] = VALUES["properties"].pop("global_")
# The chart refuses blocking the metadata server with iptables while its NetworkPolicy admits it.
VALUES["not"] = {
    "properties": {
        "singleuser": {
            "properties": {
                "cloudMetadata": {
                    "properties": {"blockWithIptables": {"const": True}},
                    "required": ["blockWithIptables"],
                },
                "networkPolicy": {
                    "properties": {
                        "egressAllowRules": {
                            "properties": {"cloudMetadataServer": {"const": True}},
                            "required": ["cloudMetadataServer"],
                        }
                    },
                    "required": ["egressAllowRules"],
                },
            },
            "required": ["cloudMetadata", "networkPolicy"],
        }
    },
    "required": ["singleuser"],
}
