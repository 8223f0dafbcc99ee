"""The WebSub hub client (feedpub.hub_client) against a fake hub on 127.0.0.1: the publish form,
retries of 5xx, and hubs that refuse the connection or never answer."""

from __future__ import annotations

from urllib3.util import Timeout

from feedpub.hub_client import HubClient
from tests.support.fake_hub import running_hub


def test_the_client_posts_the_form_and_reads_the_answer() -> None:
    with running_hub() as hub:
        response = HubClient().publish(hub.url, ["https://n.example/feeds/rss.xml"])
    assert (response.accepted, response.status, response.retries) == (True, 202, 0)
    (notification,) = hub.received
    assert notification.mode == "publish" and notification.topics == ["https://n.example/feeds/rss.xml"]
    assert notification.content_type == "application/x-www-form-urlencoded"


def test_the_client_retries_5xx_quickly_then_gives_up_without_raising() -> None:
    with running_hub(statuses=[503, 502]) as hub:
        response = HubClient().publish(hub.url, ["t"])
    assert (response.accepted, response.retries, len(hub.received)) == (True, 2, 3)
    with running_hub(default_status=503) as hub:
        response = HubClient().publish(hub.url, ["t"])
    assert (response.accepted, response.status, len(hub.received)) == (False, 503, 3)
    with running_hub(default_status=400) as hub:  # a client error is not retried
        response = HubClient().publish(hub.url, ["t"])
    assert (response.accepted, response.status, len(hub.received)) == (False, 400, 1)


def test_the_client_reports_a_hub_that_never_answers() -> None:
    with running_hub() as hub:
        url = hub.url
    refused = HubClient().publish(url, ["t"])  # the port is closed now
    assert (refused.accepted, refused.status) == (False, 0) and refused.reason
    with running_hub(delay_seconds=0.6) as slow:
        timed_out = HubClient(timeout=Timeout(connect=0.5, read=0.2)).publish(slow.url, ["t"])
    assert (timed_out.accepted, timed_out.status) == (False, 0)
    assert "Timeout" in timed_out.reason
