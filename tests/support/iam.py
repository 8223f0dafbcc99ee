"""IAM's decision for one request, from identity policies and resource policies of one account.

No library on PyPI evaluates IAM policies with their conditions offline (see README,
"Dependencies"): moto's `IAMPolicy` matches actions and resources but supports only StringEquals and
turns an Allow whose condition does not hold into a Deny, so it cannot judge `s3:prefix` (StringLike)
on ListBucket. This module implements the documented evaluation logic for the part of the grammar
feedpub's policies use, and tests/aws/test_editors_policy.py checks it against moto's wherever no
condition is involved.

The rules (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any policy wins; otherwise, in one account, an Allow in an identity policy or in
the resource's policy (naming the principal) allows; otherwise the request is implicitly denied.
Actions match case-insensitively, resources case-sensitively, both with `*` and `?`. A condition
holds when every operator holds, an operator when every key holds, a key when any policy value
matches; a key absent from the request fails a positive operator and satisfies a negated one
(`...IfExists` lets it pass either way).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "Allow", "ExplicitDeny", "ImplicitDeny"


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: who, which action, on which resource, with which context keys."""

    action: str
    resource: str
    principal: str = ""
    context: Mapping[str, str] = field(default_factory=dict)


def _pattern(value: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards (`*` any run, `?` one character), everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value)
    return re.compile(f"^{regex}$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _matches(patterns: str | Sequence[str], value: str, *, ignore_case: bool) -> bool:
    items = [patterns] if isinstance(patterns, str) else list(patterns)
    return any(_pattern(p, ignore_case).match(value) for p in items)


def _string_like(expected: str, actual: str) -> bool:
    return _pattern(expected, ignore_case=False).match(actual) is not None


OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _string_like,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": _string_like,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}
NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals",
           "ArnNotLike": "ArnLike"}  # fmt: skip


def _operator_holds(operator: str, keys: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    name = operator.removesuffix("IfExists")
    negated = name in NEGATED
    test = OPERATORS.get(NEGATED.get(name, name))
    if test is None:
        raise ValueError(f"condition operator {operator} is not implemented here")
    for key, expected in keys.items():
        values = [expected] if isinstance(expected, str | bool) else list(expected)
        actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
        if actual is None:
            if not (if_exists or negated):
                return False
            continue
        matched = any(test(str(v).lower() if isinstance(v, bool) else str(v), actual) for v in values)
        if matched == negated:
            return False
    return True


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal is None:  # an identity policy: its holder is the principal
        return True
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS", [])
        named = [aws] if isinstance(aws, str) else list(aws)
        return request.principal in named
    return False


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether the statement concerns the request: action, resource, principal and condition."""
    if "Action" in statement:
        if not _matches(statement["Action"], request.action, ignore_case=True):
            return False
    elif _matches(statement["NotAction"], request.action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches(statement["Resource"], request.resource, ignore_case=False):
            return False
    elif "NotResource" in statement and _matches(
        statement["NotResource"], request.resource, ignore_case=False
    ):
        return False
    if not _principal_matches(statement.get("Principal"), request):
        return False
    conditions: Mapping[str, Mapping[str, Any]] = statement.get("Condition", {})
    return all(_operator_holds(op, keys, request.context) for op, keys in conditions.items())


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = policy["Statement"]
    return list(found) if isinstance(found, list) else [found]


def decide(
    request: Request, identity: Iterable[Mapping[str, Any]], resource: Iterable[Mapping[str, Any]] = ()
) -> str:
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for a same-account request."""
    allowed = False
    for policy in [*identity, *resource]:
        for statement in _statements(policy):
            if statement_applies(statement, request):
                if statement["Effect"] == "Deny":
                    return EXPLICIT_DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def deciding_statements(request: Request, policy: Mapping[str, Any]) -> list[str]:
    """The Sids of the policy's statements that apply to the request."""
    return [str(s.get("Sid", "?")) for s in _statements(policy) if statement_applies(s, request)]
