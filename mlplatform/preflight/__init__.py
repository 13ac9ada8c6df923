"""``mlplatform preflight``: what a real first deploy (and the next update) would refuse, found offline.

The mocks accept what the clouds refuse: IAM is not evaluated, nothing waits for readiness, every endpoint is
reachable. Preflight walks a Plan as a deployment would and reports, per resource, the rule broken and the
documented behaviour behind it. Rules live in :mod:`.rules`, :mod:`.data_plane` (IAM for the calls each
workload makes, with :mod:`.aws_iam` and :mod:`.gcp_iam`) and :mod:`.scheduling`.

Example::

    plan = engine.run(".", stack="prod")
    report = preflight(plan)
    assert report.ok, [f.message for f in report.findings]
"""

from __future__ import annotations

from .core import RULES, Finding, Phase, PreflightReport, run_rules

preflight = run_rules

__all__ = ["RULES", "Finding", "Phase", "PreflightReport", "preflight", "run_rules"]
