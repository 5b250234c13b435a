"""cdk-nag acknowledgments: every AwsSolutions finding the stack accepts carries its reason."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct


def acknowledge(construct: Construct, rule: str, reason: str) -> None:
    """Accept cdk-nag's ``rule`` on ``construct``; the reason is written to its Metadata."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
