"""Entry point the Pulumi CLI runs for `pulumi preview --policy-pack DIR`: it only builds the pack.

PolicyPack starts the analyzer's gRPC server and blocks, so nothing else may import this module; the policies
live in ``mlplatform.policies.pack`` (which ``mlplatform check`` imports). The CLI runs the pack directory with the
Python of the environment mlplatform is installed in (see PulumiPolicy.yaml and ``mlplatform.policy_pack``), the
same here in a checkout (its editable install), in site-packages (``mlplatform pack path``) and in a copy
(``mlplatform pack export DIR``), so nothing is added to the import path.
"""

from pulumi_policy import PolicyPack

from mlplatform.policies.pack import DEFAULT_ENFORCEMENT, PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=list(POLICIES),
    enforcement_level=DEFAULT_ENFORCEMENT,
    description="Cost guardrails for ML platforms: GPU models, spot and scale-to-zero, ceilings, tags, budgets.",
)
