"""Telling the operator when a publish wrote feeds an enabled partner would refuse.

The publisher returns the blocker findings (feedpub.partners.check); this logs one structured
warning per partner and counts them as `PartnerRuleFailures` with a `partner` dimension, so a
change that would get the site dropped shows on a dashboard (or an alarm) before the partner
notices. Never raises: a report must not fail the publish whose files are already live.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

if TYPE_CHECKING:
    from feedpub.partners.check import Finding

METRIC = "PartnerRuleFailures"
LOGGED_PER_PARTNER = 20
"""Findings listed in one warning; the count says how many there were."""


def report_partner_findings(findings: Iterable[Finding], logger: Logger, metrics: Metrics) -> None:
    """One warning and one metric data point per partner whose blocker rules failed."""
    by_partner: dict[str, list[Finding]] = {}
    for finding in findings:
        by_partner.setdefault(finding.rule.partner, []).append(finding)
    for partner, found in sorted(by_partner.items()):
        logger.warning(
            "feeds fail a partner's blocker rules", partner=partner, failures=len(found),
            rules=sorted({finding.rule.id for finding in found}),
            findings=[finding.as_log() for finding in found[:LOGGED_PER_PARTNER]],
        )  # fmt: skip
        try:
            dimensions = metrics.default_dimensions
            with single_metric(
                name=METRIC, unit=MetricUnit.Count, value=len(found), namespace=metrics.namespace,
                default_dimensions=dimensions,
            ) as metric:  # fmt: skip
                metric.add_dimension(name="partner", value=partner)
        except Exception:  # e.g. no namespace configured: the warning above still says it
            logger.exception("PartnerRuleFailures could not be recorded", partner=partner)
