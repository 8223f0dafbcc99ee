"""Most viewed, the pure parts: reading CloudFront logs, who is a reader, what is a view, ranking."""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from feedpub.article import Article
from feedpub.aws.views_table import HOUR_TTL, window_partitions
from feedpub.config import SiteConfig
from feedpub.views.bots import is_bot
from feedpub.views.counting import is_view, normalize_path, page_path, tally
from feedpub.views.logs import LogFormatError, LogReadStats, Request, decompress, parse_log
from feedpub.views.ranking import candidates, rank
from tests.support.logs import (
    BOTS,
    BROWSERS,
    CHROME,
    CURL,
    FIELDS,
    FIREFOX,
    GOOGLEBOT,
    NEWSBLUR,
    SAFARI_IOS,
    SLACKBOT,
    Hit,
    complete_lines_of_truncated,
    header,
    log_line,
    log_text,
    make_log,
    shuffled_fields,
    truncate,
)

T0 = datetime(2026, 11, 26, 14, 2, 7, tzinfo=UTC)


def requests_of(data: bytes, stats: LogReadStats | None = None) -> list[Request]:
    return list(parse_log(decompress(data), stats))


def sample_hits() -> list[Hit]:
    return [
        Hit(T0, "/world/ferry-talks"),
        Hit(T0 + timedelta(seconds=1), "/world/ferry-talks/", query="utm_source=newsletter&utm_medium=email"),
        Hit(T0 - timedelta(minutes=5), "/sport/herald-cup-final", agent=SAFARI_IOS, status=304),
        Hit(T0 + timedelta(hours=1), "/feeds/rss.xml", agent=NEWSBLUR, double_encoded=True),
        Hit(T0, "/", method="HEAD", agent=CURL),
        Hit(T0, "/business/missing", status=404, agent=FIREFOX),
        Hit(T0, "/world/zoë-ødegaard accord", agent=GOOGLEBOT),
    ]


# -- reading log files --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 2026])
def test_columns_are_read_by_name_not_position(seed: int) -> None:
    hits = sample_hits()
    order = shuffled_fields(seed)
    assert order != FIELDS
    assert requests_of(make_log(hits, order)) == requests_of(make_log(hits))


def test_a_request_line_becomes_a_request() -> None:
    [request] = requests_of(make_log([Hit(T0, "/world/ferry-talks", query="a=1")]))
    assert request == Request(T0, "GET", "/world/ferry-talks", 200, CHROME)
    assert request.timestamp.tzinfo is UTC


def test_paths_and_agents_are_url_decoded() -> None:
    text = log_text(sample_hits())
    assert "/world/zo%C3%AB-%C3%B8degaard%20accord" in text  # as CloudFront writes them
    assert "NewsBlur%2520Page%2520Fetcher" in text
    assert "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)" in text
    requests = list(parse_log(text))
    assert requests[6].path == "/world/zoë-ødegaard accord"
    assert requests[0].user_agent == CHROME
    assert requests[3].user_agent == NEWSBLUR  # encoded twice, decoded twice
    assert requests[1].path == "/world/ferry-talks/"  # the query is a column of its own
    assert [r.method for r in requests] == ["GET", "GET", "GET", "GET", "HEAD", "GET", "GET"]
    assert [r.status for r in requests] == [200, 200, 304, 200, 200, 404, 200]


def test_malformed_lines_are_skipped_and_counted() -> None:
    good = [Hit(T0, "/world/a"), Hit(T0, "/world/b"), Hit(T0, "/world/c")]
    too_few = "\t".join(log_line(Hit(T0, "/world/x")).split("\t")[:12])
    bad_date = log_line(Hit(T0, "/world/x")).replace("2026-11-26", "26/Nov/2026", 1)
    bad_status = log_line(Hit(T0, "/world/x")).replace("\t200\t", "\tOK\t", 1)
    lines = [log_line(good[0]), too_few, log_line(good[1]), bad_date, bad_status, "", log_line(good[2])]
    text = header() + "\n".join(lines) + "\n"
    stats = LogReadStats()
    requests = list(parse_log(text, stats))
    assert [r.path for r in requests] == ["/world/a", "/world/b", "/world/c"]
    assert stats.lines == 6 and stats.malformed == 3
    assert stats.samples == [line[:200] for line in (too_few, bad_date, bad_status)]


def test_a_truncated_gzip_keeps_the_complete_lines_before_the_cut() -> None:
    hits = [Hit(T0 + timedelta(seconds=i), f"/world/story-{i}") for i in range(400)]
    data = make_log(hits)
    cut = truncate(data, 0.6)
    survivors = len(complete_lines_of_truncated(cut)) - 2  # minus the two header lines
    assert 0 < survivors < len(hits)
    requests = requests_of(cut)
    assert [r.path for r in requests] == [h.path for h in hits[:survivors]]


def test_a_gzip_cut_before_the_first_line_reads_as_empty() -> None:
    assert requests_of(make_log([Hit(T0, "/world/a")])[:12]) == []


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\xff\xfe",
        bytes(range(256)),
        b"\x1f\x8b" + b"\x00\xff" * 40,  # gzip magic, then garbage
    ],
    ids=["png", "bytes", "gzip-magic-garbage"],
)
def test_a_binary_that_is_not_gzip_raises(data: bytes) -> None:
    with pytest.raises(LogFormatError):
        requests_of(data)


def test_a_file_without_fields_header_raises() -> None:
    text = "#Version: 1.0\n" + log_line(Hit(T0, "/world/a")) + "\n"
    with pytest.raises(LogFormatError, match="#Fields"):
        list(parse_log(text))
    with pytest.raises(LogFormatError):
        requests_of(gzip.compress(text.encode()))


def test_a_fields_header_without_a_needed_column_raises() -> None:
    fields = [name for name in FIELDS if name != "cs(User-Agent)"]
    with pytest.raises(LogFormatError, match="User-Agent"):
        list(parse_log(f"#Version: 1.0\n#Fields: {' '.join(fields)}\n"))


def test_uncompressed_text_is_read_too() -> None:
    assert requests_of(log_text([Hit(T0, "/world/a")]).encode()) == requests_of(
        make_log([Hit(T0, "/world/a")])
    )


# -- who is a reader ----------------------------------------------------------------------------


@pytest.mark.parametrize("agent", [*BOTS, "", "-"])
def test_bots_feed_readers_previewers_and_monitors_are_bots(agent: str) -> None:
    assert is_bot(agent)
    if agent:  # the same after a trip through a log file, encoded once or twice
        for twice in (False, True):
            [request] = requests_of(make_log([Hit(T0, "/world/a", agent=agent, double_encoded=twice)]))
            assert is_bot(request.user_agent)


def test_the_bot_list_covers_the_clients_named() -> None:
    assert len(BOTS) >= 14
    for name in ("Googlebot", "bingbot", "Slackbot-LinkExpanding", "Feedly", "UptimeRobot", "WhatsApp"):
        assert any(name in agent for agent in BOTS)


@pytest.mark.parametrize("agent", BROWSERS, ids=["chrome", "firefox", "safari-ios", "edge", "samsung"])
def test_browsers_are_readers(agent: str) -> None:
    assert not is_bot(agent)
    for twice in (False, True):
        [request] = requests_of(make_log([Hit(T0, "/world/a", agent=agent, double_encoded=twice)]))
        assert request.user_agent == agent and not is_bot(request.user_agent)


# -- what is a view -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "agent", "expected"),
    [
        ("GET", 200, CHROME, True),
        ("GET", 206, SAFARI_IOS, True),
        ("GET", 304, CHROME, False),
        ("GET", 404, CHROME, False),
        ("GET", 301, CHROME, False),
        ("GET", 500, CHROME, False),
        ("HEAD", 200, CHROME, False),
        ("POST", 200, CHROME, False),
        ("GET", 200, SLACKBOT, False),
        ("GET", 200, "-", False),
    ],
)
def test_is_view(method: str, status: int, agent: str, expected: bool) -> None:
    assert is_view(Request(T0, method, "/world/a", status, agent)) is expected


@pytest.mark.parametrize(
    "path",
    [
        "/world/ferry-talks",
        "/world/ferry-talks/",
        "/world/ferry-talks//",
        "/world/ferry-talks?utm_source=twitter",
        "/world/ferry-talks/?utm_source=twitter&utm_medium=social",
        "/world/ferry-talks#comments",
    ],
)
def test_trailing_slash_query_and_fragment_do_not_split_a_page(path: str) -> None:
    assert normalize_path(path) == "/world/ferry-talks"


def test_normalize_path_keeps_the_home_page_and_case() -> None:
    assert normalize_path("/") == "/"
    assert normalize_path("") == "/"
    assert normalize_path("/?s=1") == "/"
    assert normalize_path("/World/Ferry-Talks") == "/World/Ferry-Talks"


def test_page_path_of_an_article_url() -> None:
    assert page_path("https://www.example.com/world/ferry-talks") == "/world/ferry-talks"
    assert page_path("https://www.example.com/world/ferry-talks/?ref=rss") == "/world/ferry-talks"


def test_tally_counts_views_per_page_and_hour() -> None:
    requests = [
        Request(T0, "GET", "/world/a", 200, CHROME),
        Request(T0 + timedelta(minutes=50), "GET", "/world/a/", 200, FIREFOX),  # 14:52, same hour
        Request(T0 + timedelta(hours=1), "GET", "/world/a", 200, CHROME),
        Request(T0, "GET", "/world/b", 200, SAFARI_IOS),
        Request(T0, "GET", "/world/b", 304, CHROME),
        Request(T0, "HEAD", "/world/b", 200, CHROME),
        Request(T0, "GET", "/world/b", 200, GOOGLEBOT),
        Request(T0, "GET", "/world/c", 404, CHROME),
    ]
    assert tally(requests) == Counter(
        {("/world/a", "2026-11-26T14"): 2, ("/world/a", "2026-11-26T15"): 1, ("/world/b", "2026-11-26T14"): 1}
    )


# -- ranking ------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def make_article(article_id: str, section: str = "world", published: str = "2026-11-20T08:00:00+00:00",
                 draft: bool = False) -> Article:  # fmt: skip
    return Article(
        id=article_id,
        key=f"articles/{section}/{article_id}.md",
        title=article_id.title(),
        section=section,
        section_title=section.title(),
        url=f"https://www.example.com/{section}/{article_id}",
        published=datetime.fromisoformat(published),
        updated=None,
        summary="Summary.",
        body_html="<p>Body.</p>",
        language="en",
        draft=draft,
    )


def ranked(
    views: dict[str, int], articles: list[Article], limit: int = 10, section: str | None = None
) -> list[tuple[str, int, int]]:
    return [
        (place.article.id, place.views, place.rank)
        for place in rank(views, {a.id: a for a in articles}, NOW, limit, section)
    ]


def test_rank_orders_by_views_then_newest_then_id() -> None:
    articles = [
        make_article("old", published="2026-11-01T08:00:00+00:00"),
        make_article("new", published="2026-11-25T08:00:00+00:00"),
        make_article("b-same-time", published="2026-11-20T08:00:00+00:00"),
        make_article("a-same-time", published="2026-11-20T08:00:00+00:00"),
        # The same instant in another zone ties with the two above.
        make_article("c-same-time", published="2026-11-20T15:00:00+07:00"),
        make_article("top", published="2026-10-01T08:00:00+00:00"),
    ]
    views = {"old": 5, "new": 5, "b-same-time": 5, "a-same-time": 5, "c-same-time": 5, "top": 9}
    assert ranked(views, articles) == [
        ("top", 9, 1),
        ("new", 5, 2),
        ("a-same-time", 5, 3),
        ("b-same-time", 5, 4),
        ("c-same-time", 5, 5),
        ("old", 5, 6),
    ]


def test_rank_skips_drafts_embargoed_missing_and_unviewed() -> None:
    articles = [
        make_article("listed"),
        make_article("draft", draft=True),
        make_article("embargoed", published="2031-01-01T09:00:00+00:00"),
        make_article("just-published", published="2026-11-26T14:30:00+00:00"),
        make_article("unviewed"),
    ]
    views = {"listed": 1, "draft": 100, "embargoed": 90, "deleted": 80, "just-published": 2, "unviewed": 0}
    assert ranked(views, articles) == [("just-published", 2, 1), ("listed", 1, 2)]


def test_rank_filters_by_section_and_limits() -> None:
    articles = [make_article(f"w{i}", "world") for i in range(5)] + [make_article("s1", "sport")]
    views = {"w0": 1, "w1": 2, "w2": 3, "w3": 4, "w4": 5, "s1": 50}
    assert ranked(views, articles, limit=3) == [("s1", 50, 1), ("w4", 5, 2), ("w3", 4, 3)]
    assert ranked(views, articles, limit=2, section="world") == [("w4", 5, 1), ("w3", 4, 2)]
    assert ranked(views, articles, section="sport") == [("s1", 50, 1)]
    assert ranked(views, articles, section="business") == []


def test_candidates_reach_past_unlisted_top_articles_in_every_section() -> None:
    views = {f"hot{i}": 1000 - i for i in range(100)} | {"quiet-sport": 1}
    sections = {f"hot{i}": "world" for i in range(100)} | {"quiet-sport": "sport"}
    chosen = candidates(views, sections, limit=10)
    assert {f"hot{i}" for i in range(40)} <= chosen
    assert "quiet-sport" in chosen
    assert len(chosen) <= 41


# -- windows ------------------------------------------------------------------------------------


def hours_between(first: str, last: str) -> list[str]:
    start, end = datetime.fromisoformat(first + ":00"), datetime.fromisoformat(last + ":00")
    count = (end - start) // timedelta(hours=1) + 1
    return [(start + timedelta(hours=h)).strftime("%Y-%m-%dT%H") for h in range(count)]


def test_a_24_hour_window_at_1430_is_the_hours_from_1500_the_day_before() -> None:
    window = window_partitions(datetime(2026, 11, 26, 14, 30, 12, tzinfo=UTC), 24)
    assert window.days == ()
    assert list(window.hours) == [
        "2026-11-25T15", "2026-11-25T16", "2026-11-25T17", "2026-11-25T18", "2026-11-25T19",
        "2026-11-25T20", "2026-11-25T21", "2026-11-25T22", "2026-11-25T23",
        "2026-11-26T00", "2026-11-26T01", "2026-11-26T02", "2026-11-26T03", "2026-11-26T04",
        "2026-11-26T05", "2026-11-26T06", "2026-11-26T07", "2026-11-26T08", "2026-11-26T09",
        "2026-11-26T10", "2026-11-26T11", "2026-11-26T12", "2026-11-26T13", "2026-11-26T14",
    ]  # fmt: skip


def test_a_168_hour_window_is_whole_days_between_edge_hours() -> None:
    window = window_partitions(datetime(2026, 11, 26, 14, 30, tzinfo=UTC), 168)
    assert list(window.days) == [
        "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25",
    ]  # fmt: skip
    assert list(window.hours) == [
        "2026-11-19T15", "2026-11-19T16", "2026-11-19T17", "2026-11-19T18", "2026-11-19T19",
        "2026-11-19T20", "2026-11-19T21", "2026-11-19T22", "2026-11-19T23",
        "2026-11-26T00", "2026-11-26T01", "2026-11-26T02", "2026-11-26T03", "2026-11-26T04",
        "2026-11-26T05", "2026-11-26T06", "2026-11-26T07", "2026-11-26T08", "2026-11-26T09",
        "2026-11-26T10", "2026-11-26T11", "2026-11-26T12", "2026-11-26T13", "2026-11-26T14",
    ]  # fmt: skip
    assert len(window.days) * 24 + len(window.hours) == 168


def test_window_edges_at_the_end_and_start_of_a_day() -> None:
    late = window_partitions(datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC), 24)
    assert late.days == ("2026-11-26",) and late.hours == ()
    early = window_partitions(datetime(2026, 11, 26, 0, 0, tzinfo=UTC), 24)
    assert early.days == ()
    assert list(early.hours) == hours_between("2026-11-25T01", "2026-11-26T00")
    week = window_partitions(datetime(2026, 11, 26, 23, 0, tzinfo=UTC), 168)
    assert list(week.days) == [f"2026-11-{d}" for d in range(20, 27)] and week.hours == ()


def test_window_of_a_time_in_another_zone_is_taken_in_utc() -> None:
    local = datetime(2026, 11, 26, 21, 30, tzinfo=timezone(timedelta(hours=7)))
    assert window_partitions(local, 24) == window_partitions(datetime(2026, 11, 26, 14, 30, tzinfo=UTC), 24)


def test_every_allowed_window_reads_only_hours_younger_than_their_ttl() -> None:
    now = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
    for hours in (24, 168, 24 * 10 + 1, 744):
        assert SiteConfig(most_viewed_hours=hours).most_viewed_hours == hours  # an allowed setting
        window = window_partitions(now, hours)
        oldest = min(datetime.fromisoformat(f"{hour}:00+00:00") for hour in window.hours)
        assert now - oldest < HOUR_TTL, f"a {hours} h window reads {oldest:%Y-%m-%dT%H}, expired by then"
