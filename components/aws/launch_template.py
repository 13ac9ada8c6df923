"""Launch templates for EKS managed node groups: IMDSv2 only, encrypted gp3 root volume, tagged instances."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def node_launch_template(
    name: str, *, volume_gib: int, hop_limit: int, tags: dict[str, str], parent: pulumi.Resource
) -> aws.ec2.LaunchTemplate:
    """A launch template for a managed node group.

    IMDSv2 is required (tokens) with a hop limit of 1 by default, so pods cannot reach the node's instance
    credentials; workloads get AWS access through EKS Pod Identity instead. Instances and volumes carry the
    cost tags: node group tags do not propagate to the instances a group launches.
    """
    return aws.ec2.LaunchTemplate(
        name,
        description=f"EKS nodes of {name}",
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            http_put_response_hop_limit=hop_limit,
            instance_metadata_tags="disabled",
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=volume_gib, volume_type="gp3", encrypted="true", delete_on_termination="true"
                ),
            )
        ],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
            for kind in ("instance", "volume", "network-interface")
        ],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
