"""Everything the dev guardrails exist to stop, in one stack, written with raw provider resources.

- an on-demand V100 node group that keeps two nodes running (p3.2xlarge, min 2);
- a node group missing most cost tags;
- a Karpenter NodePool with no limits (unbounded GPU capacity);
- no budget.

Everything else is compliant, so `mlplatform check` must fail with exactly the policies these break.
"""

import pulumi_aws as aws
import pulumi_kubernetes as k8s

TAGS = {"team": "ml", "project": "recsys", "cost-center": "cc-1", "environment": "dev"}

cluster = aws.eks.Cluster(
    "ml",
    role_arn="arn:aws:iam::123456789012:role/eks-cluster",
    vpc_config={"subnet_ids": ["subnet-1", "subnet-2"]},
    encryption_config={"provider": {"key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"}, "resources": ["secrets"]},
    tags=TAGS,
)

aws.eks.NodeGroup(
    "train",
    cluster_name=cluster.name,
    node_role_arn="arn:aws:iam::123456789012:role/eks-node",
    subnet_ids=["subnet-1", "subnet-2"],
    instance_types=["p3.2xlarge"],
    capacity_type="ON_DEMAND",
    scaling_config={"min_size": 2, "desired_size": 2, "max_size": 4},
    labels={"mlplatform.io/gpu-pool": "train"},
    tags={"team": "ml"},
)

k8s.apiextensions.CustomResource(
    "inference",
    api_version="karpenter.sh/v1",
    kind="NodePool",
    metadata={"name": "inference"},
    spec={
        "template": {
            "metadata": {"labels": {"mlplatform.io/gpu-pool": "inference"}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge"]},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                ],
            },
        },
    },
)
