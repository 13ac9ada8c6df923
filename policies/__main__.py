"""Entry point the Pulumi CLI runs for `pulumi preview --policy-pack policies`: it only builds the pack.

PolicyPack starts the analyzer's gRPC server and blocks, so nothing else may import this module; the
policies live in ``mlplatform.policies.pack`` (which ``mlplatform check`` imports). The CLI runs this file with
``policies/`` as the working directory: the repository root goes on the path so ``policies`` and
``components`` (the catalog and the cost model) import from this checkout.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from mlplatform.policies.pack import DEFAULT_ENFORCEMENT, PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=list(POLICIES),
    enforcement_level=DEFAULT_ENFORCEMENT,
    description="Cost guardrails for ML platforms: GPU models, spot and scale-to-zero, ceilings, tags, budgets.",
)
