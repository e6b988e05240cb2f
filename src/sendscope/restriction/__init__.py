"""The parts of ``sendscope restrict``: plan (pure), read, apply, PowerShell, report.

``sendscope.restrict`` is the use case that joins them; see docs/restrict.md.
"""

from __future__ import annotations

from .apply import PolicyTest, apply_plan, run_policy_tests
from .model import (
    TEST_LIMIT,
    AppInfo,
    GroupTarget,
    Plan,
    PlanWarning,
    RestrictRequest,
    Step,
    StepAction,
    StepStatus,
)
from .plan import NOTHING_WRITTEN, PROPAGATION_NOTE, check_request, plan_restriction
from .powershell import powershell_script, ps_quote
from .read import ExchangeAdmin, GraphReader, read_app, read_context

__all__ = [
    "NOTHING_WRITTEN",
    "PROPAGATION_NOTE",
    "TEST_LIMIT",
    "AppInfo",
    "ExchangeAdmin",
    "GraphReader",
    "GroupTarget",
    "Plan",
    "PlanWarning",
    "PolicyTest",
    "RestrictRequest",
    "Step",
    "StepAction",
    "StepStatus",
    "apply_plan",
    "check_request",
    "plan_restriction",
    "powershell_script",
    "ps_quote",
    "read_app",
    "read_context",
    "run_policy_tests",
]
