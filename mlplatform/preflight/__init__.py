"""``mlplatform preflight``: what a real first deploy (and the next update) would refuse, found offline.

The mocks accept what the clouds refuse: IAM is not evaluated, nothing waits for readiness, every endpoint is
reachable. Preflight walks a Plan as a deployment would and reports, per resource, the rule broken and the
documented behaviour behind it. :mod:`.registry` lists every rule; they live in modules by concern:
:mod:`.data_plane` (IAM for the calls each workload makes, with :mod:`.aws_iam` and :mod:`.gcp_iam`),
:mod:`.identity`, :mod:`.networking`, :mod:`.ordering`, :mod:`.artifacts`, :mod:`.names`, :mod:`.alerting`,
:mod:`.scheduling` and :mod:`.serving`.

Example::

    plan = engine.run(".", stack="prod")
    report = preflight(plan)
    assert report.ok, [f.message for f in report.findings]
"""

from __future__ import annotations

from .core import Finding, Phase, PreflightReport
from .registry import RULES, run_rules

preflight = run_rules

__all__ = ["RULES", "Finding", "Phase", "PreflightReport", "preflight", "run_rules"]
