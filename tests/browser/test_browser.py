"""What a reader sees in a real browser: headless Chromium, driven by Playwright, against the local
stack (`feedpub serve`, tests/conftest.py `served_site`).

A browser that follows a feed link sends a navigation Accept header (text/html first), so the
feed URL must show the readable page (not raw XML, not a download) with working copy buttons: the
buttons are hidden until the inline script, allowed by its hash in the page's
Content-Security-Policy, reveals them. Screenshots are kept under the test's tmp_path.

Uses Debian's `chromium` (never `playwright install`, which downloads browsers); skips only when
that browser or the playwright package is missing. Nothing leaves the machine: every request to
another host is answered here (images with a placeholder).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.support.served import ServedSite

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PLACEHOLDER_IMAGE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800" viewBox="0 0 1200 800">'
    b'<rect width="1200" height="800" fill="#c9d3dd"/></svg>'
)

if not (CHROMIUM.is_file() or shutil.which("chromium")):
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (.ci/run does)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'"
)


def wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` with page.evaluate until it is truthy. Playwright's wait_for_function
    builds its predicate with `new Function`, which the pages' Content-Security-Policy (no
    'unsafe-eval') sometimes blocks; evaluate goes through the DevTools protocol instead."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = CHROMIUM if CHROMIUM.is_file() else Path(str(shutil.which("chromium")))
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, served_site: ServedSite) -> Iterator[Page]:
    """A fresh browsing context that may use the clipboard and reaches no host but the site."""
    site_host = urlsplit(served_site.site.site_url).netloc
    context = browser.new_context(
        viewport={"width": 1100, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == site_host:
            route.continue_()
        elif route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER_IMAGE)
        else:
            route.abort()

    context.route("**/*", offline)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    opened.on(
        "console",
        lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
    )
    try:
        yield opened
        assert not problems, problems
    finally:
        context.close()


def load_lazy_images(page: Page) -> None:
    """Scroll through the page so its loading="lazy" images load, for a full-page screenshot."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for top in range(0, height, 600):
        page.mouse.wheel(0, 600)
        wait_until(
            page, f"window.scrollY >= Math.min({top}, document.documentElement.scrollHeight - innerHeight)"
        )
    wait_until(page, "Array.from(document.images).every(image => image.complete)")
    page.evaluate("window.scrollTo(0, 0)")


def test_feed_url_shows_the_readable_page(page: Page, served_site: ServedSite, tmp_path: Path) -> None:
    expect = sync_api.expect
    newest = served_site.newest()
    rss_url = served_site.site.feed_urls["rss"]

    response = page.goto(rss_url)
    assert response is not None
    assert response.status == 200
    assert response.request.all_headers()["accept"].startswith("text/html")
    headers: dict[str, Any] = response.all_headers()
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["vary"] == "Accept"
    assert page.url == rss_url  # the same address a reader copies, not a redirect

    expect(page).to_have_title(served_site.config.title)
    expect(page.get_by_role("heading", level=1)).to_have_text(served_site.config.title)
    expect(page.get_by_role("link", name=newest.title)).to_be_visible()
    for article in served_site.listed():
        expect(page.get_by_role("link", name=article.title, exact=True)).to_be_visible()
    body_text = page.locator("body").inner_text()
    assert "<?xml" not in body_text
    assert "<rss" not in body_text

    copy_buttons = page.get_by_role("button", name="Copy")
    expect(copy_buttons).to_have_count(3)  # RSS, Atom, JSON Feed; shown only by the page's script
    for index in range(3):
        expect(copy_buttons.nth(index)).to_be_visible()
    feed_addresses = [field.input_value() for field in page.locator("input[type=url]").all()]
    assert feed_addresses == [served_site.site.feed_urls[n] for n in ("rss", "atom", "json")]

    page.screenshot(path=tmp_path / "feed-top.png")
    load_lazy_images(page)
    page.screenshot(path=tmp_path / "feed.png", full_page=True)
    print(f"\nscreenshots: {tmp_path / 'feed-top.png'} (what a reader sees first), {tmp_path / 'feed.png'}")

    # "Copied" shows for 2 s only: record the button's labels rather than race to see it.
    page.evaluate(
        """button => {
            window.copyLabels = [];
            new MutationObserver(() => window.copyLabels.push(button.textContent))
                .observe(button, {childList: true, characterData: true, subtree: true});
        }""",
        copy_buttons.first.element_handle(),
    )
    copy_buttons.first.click()
    wait_until(page, "window.copyLabels.length > 0")
    assert page.evaluate("window.copyLabels[0]") == "Copied"
    assert page.evaluate("navigator.clipboard.readText()") == rss_url


def test_article_page_from_the_feed_page(page: Page, served_site: ServedSite, tmp_path: Path) -> None:
    expect = sync_api.expect
    newest = served_site.newest()
    page.goto(served_site.site.feed_urls["rss"])

    page.get_by_role("link", name=newest.title).click()
    page.wait_for_url(newest.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(newest.title)
    expect(page).to_have_title(f"{newest.title} – {served_site.config.title}")
    expect(page.get_by_role("link", name=newest.section_title, exact=True)).to_be_visible()
    expect(page.locator("article .content p").first).to_be_visible()

    page.screenshot(path=tmp_path / "article.png", full_page=True)
    print(f"\nscreenshot: {tmp_path / 'article.png'}")


def test_unknown_article_is_not_found(page: Page, served_site: ServedSite) -> None:
    response = page.goto(f"{served_site.site.site_url}/world/no-such-story")
    assert response is not None
    assert response.status == 404
