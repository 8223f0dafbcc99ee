"""The article model and its validation: raw fields in, a clean immutable Article out."""

from __future__ import annotations

import difflib
import html
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from feedpub.config import SiteConfig
from feedpub.errors import ArticleError, Problem
from feedpub.names import ARTICLES_PREFIX, RESERVED_SECTIONS
from feedpub.text import clean_text, slugify, strip_illegal, truncate_words

if TYPE_CHECKING:
    from feedpub.source import RawArticle

# Parsing an article needs Markdown, YAML, HTML sanitizing and lxml; reading indexed articles needs
# none of them. They are imported where parsing uses them, so that the functions that only read
# the index (publish, views, most viewed) never load them (see benchmarks/cold_start.py).

SUMMARY_LIMIT = 300
MAX_TAGS = 30
MAX_AUTHORS = 20
MAX_SHORT_TEXT = 300
MAX_BODY_CHARS = 100_000
"""About 16,000 words, longer than any news story. The Markdown parser no longer needs it (it is
linear, ~17 ms for 400,000 '['), but sanitizing and the HTML checks are slower per character, and
the body is stored in index items that DynamoDB caps at 400 KB."""
QUICK_DEPTH_TAGS = 200
"""HTML with fewer '<' than this cannot nest deeper than MAX_NESTING (each level opens a tag; the
margin covers the few elements libxml2 implies), so libxml2 need not be asked."""
_TAG = re.compile(r"<[^>]*>")
_VISIBLE = re.compile(r"[^\W_]")
_VISIBLE_FIRST = re.compile(r"<(?:p|h[1-6])>[^\W_]")
"""The usual case, cheaply: the body opens with a paragraph or heading whose text starts with a
letter or digit."""
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?"
)
KNOWN_FIELDS = frozenset(
    {
        "title", "id", "section", "tags", "authors", "author", "language", "published", "updated",
        "summary", "url", "draft", "image", "access",
    }
)  # fmt: skip
PUBLIC = "public"
ACCESS_LEVELS = (PUBLIC, "members", "paid")
"""Who may read an article's body. Only `public` bodies ever leave validation."""
READERS = {"members": "Members", "paid": "Subscribers"}
"""Who the teaser of a non-public article says can read the full story."""
IMAGE_FIELDS = frozenset({"url", "caption", "credit", "alt", "width", "height", "type", "length"})


@dataclass(frozen=True, slots=True)
class Image:
    """An article's lead image, shown first in the item and offered as enclosure/media:content."""

    url: str
    caption: str = ""
    credit: str = ""
    alt: str = ""
    width: int | None = None
    height: int | None = None
    type: str = "image/jpeg"
    length: int = 0
    """Size in bytes for the RSS enclosure; 0 when unknown, as the RSS Advisory Board allows."""


@dataclass(frozen=True, slots=True)
class PendingBody:
    """A validated Markdown body not yet turned into safe HTML: a build sanitizes only the bodies
    an output shows (`Article.rendered`). `markdown` is None where a cache kept the article
    without its body (the build reads the file again)."""

    markdown: str | None


@dataclass(frozen=True, slots=True)
class Article:
    """One validated, sanitized article: everything a feed needs and nothing it must recompute."""

    id: str
    """Permanent identity; feed readers key on it, so it never follows the title or URL."""
    key: str
    """Where the article came from (an S3 key or a path under the source folder)."""
    title: str
    section: str
    """URL slug of the section, e.g. `world`."""
    section_title: str
    url: str
    published: datetime
    updated: datetime | None
    summary: str
    body_html: str
    """The sanitized body, without the lead image (see `content_html`)."""
    language: str
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: Image | None = None
    draft: bool = False
    access: str = PUBLIC
    """`public`, `members` or `paid`. A non-public article has no body: `body_html` is empty, so no
    feed, page, index payload or partner variant built from an Article can leak it."""
    pending: PendingBody | None = None
    """Set while the body is validated but not rendered: `body_html` (and a summary made from the
    body) are empty until `rendered()`."""

    def __post_init__(self) -> None:
        # The invariant that makes leaks impossible by construction, whoever builds the Article.
        if self.access not in ACCESS_LEVELS:
            raise ValueError(f"access must be one of {', '.join(ACCESS_LEVELS)}, not {self.access!r}")
        if self.access != PUBLIC and self.body_html:
            raise ValueError(f"a {self.access} article carries no body_html")

    @property
    def is_public(self) -> bool:
        """Whether anyone may read the body (a members or paid article shows only a teaser)."""
        return self.access == PUBLIC

    @property
    def modified(self) -> datetime:
        """When the article last changed: `updated`, else `published`."""
        return self.updated or self.published

    @property
    def content_html(self) -> str:
        """The full item HTML: the lead image as a figure with caption and credit, then the body
        (for a members or paid article, the teaser: its summary and where to read the story)."""
        if self.pending is not None:
            raise ValueError(f"{self.key}: the body is not rendered yet; call rendered() first")
        body = self.body_html if self.is_public else teaser_html(self)
        if self.image is None:
            return body
        return figure_html(self.image) + "\n" + body

    def is_listed(self, now: datetime) -> bool:
        """Whether the article belongs in feeds at `now`: not a draft and not embargoed."""
        return not self.draft and self.published <= now

    def rendered(self) -> Article:
        """The article with its body sanitized (and its summary made from it when none was given);
        itself when already rendered. Produces the same bytes as parsing without laziness."""
        pending = self.pending
        if pending is None:
            return self
        if pending.markdown is None:
            raise ValueError(f"{self.key}: the body was not kept; parse the file again")
        from feedpub.sanitize import markdown_to_html

        return _finish(self, markdown_to_html(strip_illegal(pending.markdown)))

    def sort_key(self) -> tuple[datetime, str]:
        """Feeds list the largest first: newest `published`, ties broken by id."""
        return (self.published, self.id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form that `from_dict` reads back exactly (used by the index)."""
        data: dict[str, Any] = {
            "id": self.id, "key": self.key, "title": self.title, "section": self.section,
            "section_title": self.section_title, "url": self.url,
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat() if self.updated else None,
            "summary": self.summary, "body_html": self.body_html, "language": self.language,
            "authors": list(self.authors), "tags": list(self.tags), "draft": self.draft,
            "image": None, "access": self.access,
        }  # fmt: skip
        if self.pending is not None:  # only a build's cache stores these, never the index
            data["pending"] = {"markdown": self.pending.markdown}
        if self.image is not None:
            image = self.image
            data["image"] = {
                "url": image.url, "caption": image.caption, "credit": image.credit,
                "alt": image.alt, "width": image.width, "height": image.height,
                "type": image.type, "length": image.length,
            }  # fmt: skip
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Inverse of `to_dict`; a payload written before `access` existed reads as public."""
        image = data.get("image")
        return cls(
            id=data["id"], key=data["key"], title=data["title"], section=data["section"],
            section_title=data["section_title"], url=data["url"],
            published=datetime.fromisoformat(data["published"]),
            updated=datetime.fromisoformat(data["updated"]) if data.get("updated") else None,
            summary=data["summary"], body_html=data["body_html"], language=data["language"],
            authors=tuple(data.get("authors", ())), tags=tuple(data.get("tags", ())),
            image=Image(**image) if image else None, draft=bool(data.get("draft", False)),
            access=data.get("access", PUBLIC),
            pending=PendingBody(pending["markdown"]) if (pending := data.get("pending")) else None,
        )  # fmt: skip


def figure_html(image: Image) -> str:
    """The lead image as `<figure>`, caption and credit in the figcaption."""
    attrs = f'src="{html.escape(image.url)}" alt="{html.escape(image.alt or image.caption)}"'
    if image.width and image.height:
        attrs += f' width="{image.width}" height="{image.height}"'
    caption = " ".join(
        part
        for part in (
            html.escape(image.caption),
            f"<small>{html.escape(image.credit)}</small>" if image.credit else "",
        )
        if part
    )
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure><img {attrs}>{figcaption}</figure>"


def teaser_html(article: Article) -> str:
    """What a members or paid item shows instead of its body: the summary and where to read on."""
    url = html.escape(article.url)
    return (
        f"<p>{html.escape(article.summary)}</p>\n"
        f'<p>{READERS[article.access]} can read the full story at <a href="{url}">{url}</a>.</p>'
    )


def plain_text(value: str) -> str:
    """Plain text from what an editor typed: tags dropped, entities decoded once, one line.

    Many feed readers render RSS titles as HTML, so markup is removed rather than escaped.
    """
    value = strip_illegal(value)
    if "<" in value or "&" in value:
        import nh3

        value = html.unescape(nh3.clean(value, tags=set(), clean_content_tags={"script", "style"}))
    return clean_text(value)


def parse_datetime(value: str) -> datetime | str:
    """An RFC 3339 timestamp as an aware datetime, or a sentence saying what is wrong with it."""
    text = value.strip()
    match = RFC3339.fullmatch(text)
    example = "2026-11-20T08:00:00+07:00"
    if not match:
        return f"{value!r} is not a date and time; write it like {example}"
    date, time, zone = match["date"], match["time"], match["zone"]
    if time is None:
        return f"{value!r} has no time; write the time and UTC offset too, e.g. {date}T08:00:00+00:00"
    if zone is None:
        seconds = time if time.count(":") == 2 else f"{time}:00"
        return (
            f"{value!r} has no time zone; write it with its UTC offset, "
            f"e.g. {date}T{seconds}+07:00 (or Z for UTC)"
        )
    if len(zone) == 5:  # +0700
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        parsed = datetime.fromisoformat(f"{date}T{time}{zone.upper().replace('Z', '+00:00')}")
    except ValueError as exc:
        return f"{value!r} is not a real date and time ({exc})"
    if not 1800 <= parsed.year <= 9998:
        return f"{value!r} is out of range; the year must be between 1800 and 9998"
    return parsed


def _default_id(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return slugify(stem)[:128]


def _folder_section(path: str) -> str:
    if path.startswith(ARTICLES_PREFIX):
        parts = path[len(ARTICLES_PREFIX) :].split("/")
        return parts[0] if len(parts) >= 2 else ""
    parts = path.split("/")
    return parts[-2] if len(parts) >= 2 else ""


class _Validator:
    """Collects every problem of one article instead of stopping at the first."""

    def __init__(self, path: str, raw: RawArticle) -> None:
        self.path = path
        self.fields = raw.fields
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(name, message))

    def string(self, name: str, *, required: bool = False, limit: int = MAX_SHORT_TEXT) -> str:
        value = self.fields.get(name)
        if value is None:
            if required:
                self.fail(name, f"missing; add a line `{name}: ...` to the front matter")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(name, f"must be text, not {_describe(value)}")
            return ""
        text = plain_text(str(value))
        if required and not text:
            self.fail(name, "is empty; write it out")
        if len(text) > limit:
            self.fail(name, f"is {len(text)} characters long; at most {limit} are allowed")
        return text

    def string_list(self, name: str, limit: int, *, comma_separated: bool = False) -> list[str]:
        value = self.fields.get(name)
        if value is None:
            return []
        if isinstance(value, str):
            value = value.split(",") if comma_separated else [value]
        if not isinstance(value, list):
            self.fail(name, f"must be a list of names, not {_describe(value)}")
            return []
        result: dict[str, None] = {}  # ordered and O(1) to look up: 150,000 tags took minutes as a list
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.fail(name, f"must contain only text, not {_describe(item)}")
                return []
            text = plain_text(str(item))
            if len(text) > 100:
                self.fail(name, f"{text[:40]!r}… is longer than 100 characters")
            elif text:
                result.setdefault(text)
        if len(result) > limit:
            self.fail(name, f"has {len(result)} entries; at most {limit} are allowed")
        return list(result)

    def timestamp(self, name: str, *, required: bool) -> datetime | None:
        value = self.fields.get(name)
        if value is None:
            if required:
                self.fail(name, "missing; add e.g. `published: 2026-11-20T08:00:00+07:00`")
            return None
        if not isinstance(value, str):
            self.fail(
                name,
                f'must be a date and time in quotes, e.g. "2026-11-20T08:00:00+07:00", '
                f"not {_describe(value)}",
            )
            return None
        parsed = parse_datetime(value)
        if isinstance(parsed, str):
            self.fail(name, parsed)
            return None
        return parsed

    def url(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            self.fail(name, f"must be a URL, not {_describe(value)}")
            return ""
        url = strip_illegal(value).strip()
        try:
            parts = urlsplit(url)
        except ValueError:
            self.fail(name, f"{url[:80]!r} is not a valid URL (check brackets and the host name)")
            return ""
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            self.fail(name, f"{url[:80]!r} is not an absolute http(s) URL; write https://...")
            return ""
        return url


def _describe(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", bool: "true/false", int: "a number",
             float: "a number", type(None): "nothing"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _near_misses(fields: dict[str, Any]) -> list[Problem]:
    problems = []
    for name in fields:
        if not isinstance(name, str):
            problems.append(Problem(str(name), "field names must be text"))
            continue
        if name in KNOWN_FIELDS or name in ("body", "body_html"):
            continue
        close = difflib.get_close_matches(name.lower(), KNOWN_FIELDS, n=1, cutoff=0.8)
        if close:
            problems.append(Problem(name, f"unknown field; did you mean `{close[0]}`?"))
    return problems


def _image(v: _Validator) -> Image | None:
    fields = _image_fields(v)
    if fields is None:
        return None
    if "url" not in fields:
        v.fail("image.url", "missing; give the image's absolute https:// URL")
        return None
    url = v.url("image.url", fields["url"])
    texts = {key: _image_text(v, key, fields.get(key)) for key in ("caption", "credit", "alt")}
    numbers = {key: _image_number(v, key, fields.get(key)) for key in ("width", "height", "length")}
    kind = _image_type(v, fields.get("type"), url)
    if not url:
        return None
    return Image(
        url=url, caption=texts["caption"], credit=texts["credit"], alt=texts["alt"],
        width=numbers["width"], height=numbers["height"], type=kind,
        length=numbers["length"] or 0,
    )  # fmt: skip


def _image_fields(v: _Validator) -> dict[Any, Any] | None:
    """The `image` mapping (a bare URL counts as one), its unknown fields reported; None if absent."""
    value = v.fields.get("image")
    if value is None:
        return None
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict):
        v.fail("image", f"must be a mapping with url, caption, credit..., not {_describe(value)}")
        return None
    for key in sorted(set(map(str, value)) - IMAGE_FIELDS):
        v.fail(f"image.{key}", f"unknown; image fields are {', '.join(sorted(IMAGE_FIELDS))}")
    return value


def _image_text(v: _Validator, key: str, raw: Any) -> str:
    """A caption, credit or alt text: plain text of at most 1000 characters ('' when absent)."""
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, str | int | float)):
        v.fail(f"image.{key}", f"must be text, not {_describe(raw)}")
        raw = None
    text = plain_text(str(raw)) if raw is not None else ""
    if len(text) > 1000:
        v.fail(f"image.{key}", "is longer than 1000 characters")
    return text


def _image_number(v: _Validator, key: str, raw: Any) -> int | None:
    """A width, height (pixels) or length (bytes): a positive whole number, or None."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**31:
        v.fail(
            f"image.{key}",
            f"must be a whole number of {'bytes' if key == 'length' else 'pixels'}, not {raw!r}",
        )
        return None
    return raw


def _image_type(v: _Validator, kind: Any, url: str) -> str:
    """The image's MIME type: as given, else guessed from the URL, else image/jpeg."""
    if kind is None:
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "image/jpeg"
    if not isinstance(kind, str) or not re.fullmatch(r"image/[a-z0-9.+-]+", kind):
        v.fail("image.type", f"must be an image MIME type like image/jpeg, not {kind!r}")
        return "image/jpeg"
    return kind


def validate_article(path: str, raw: RawArticle, config: SiteConfig, *, lazy: bool = False) -> Article:
    """Turn raw fields into an Article, or raise ArticleError listing every problem.

    `lazy`: a Markdown body whose checks pass without sanitizing is left pending (see
    `Article.rendered`), so a build pays for sanitizing only the bodies its outputs show.
    """
    v = _Validator(path, raw)
    v.problems.extend(_near_misses(raw.fields))
    title = v.string("title", required=True)
    article_id = _article_id(v, path)
    section_name, section = _section(v, path)
    authors = _authors(v)
    tags = v.string_list("tags", MAX_TAGS, comma_separated=True)
    language = _language(v, config)
    published, updated = _dates(v)
    draft = _draft(v)
    image = _image(v)
    access = _access(v)
    body_html = _body_html(v, raw)
    url = _url(v, config, section, article_id, published)
    summary = v.string("summary", limit=2000)
    if v.problems:
        raise ArticleError(path, v.problems)
    assert published is not None
    article = Article(
        id=article_id, key=path, title=title, section=section,
        section_title=_section_title(v, config, section, section_name),
        url=url, published=published, updated=updated, summary=summary,
        body_html="", language=language, authors=tuple(authors),
        tags=tuple(tags), image=image, draft=draft, access=access,
        pending=PendingBody(raw.body_markdown) if raw.body_markdown is not None else None,
    )  # fmt: skip
    if lazy and raw.body_markdown is not None and _surely_visible(raw.body_markdown, body_html):
        return article
    return _finish(article, body_html)


def _surely_visible(markdown: str, rendered: str) -> bool:
    """Whether the rendered body certainly keeps visible text once sanitized, known without
    sanitizing: without '<' in the source every tag is the parser's own (all allowlisted), so a
    letter or digit between tags survives. False means "ask the sanitizer", never "empty"."""
    if "<" in markdown:
        return False
    return _VISIBLE_FIRST.match(rendered) is not None or _VISIBLE.search(_TAG.sub("", rendered)) is not None


def _finish(article: Article, body_html: str) -> Article:
    """Sanitize the rendered body, make the summary from it when none was given (before a
    non-public body is dropped: a summary is public), and drop the pending marker."""
    from feedpub.sanitize import first_paragraph_text

    sanitized = _sanitized_body(article.key, body_html, article.url)
    summary = article.summary or truncate_words(first_paragraph_text(sanitized), SUMMARY_LIMIT)
    return replace(
        article,
        summary=summary or article.title,
        body_html=sanitized if article.is_public else "",
        pending=None,
    )


def _article_id(v: _Validator, path: str) -> str:
    """`id`, else made from the file name ('' when there is none to be had)."""
    article_id = v.fields.get("id")
    if article_id is None:
        article_id = _default_id(path)
        if not article_id:
            v.fail("id", "cannot be made from the file name; add `id:` with letters, digits and '-'")
        return article_id
    if not isinstance(article_id, str):
        hint = f' in quotes, e.g. id: "{article_id}"' if isinstance(article_id, int | float) else ""
        v.fail("id", f"must be text{hint}, not {_describe(article_id)} (YAML reads 0012 as the number 10)")
        return ""
    article_id = article_id.strip()
    if not ID_PATTERN.fullmatch(article_id):
        v.fail(
            "id",
            f"{article_id[:60]!r} may use only letters, digits, '.', '_', '~' and '-' "
            "(at most 128, not starting with '.' or '-')",
        )
    return article_id


def _section(v: _Validator, path: str) -> tuple[str, str]:
    """(the section as written or from the folder, its slug)."""
    section_name = v.string("section", limit=80) or _folder_section(path)
    section = slugify(section_name)
    if not section:
        v.fail("section", "missing; put the file in articles/<section>/ or add `section: World`")
    elif section in RESERVED_SECTIONS:
        v.fail(
            "section",
            f"{section!r} names the folder of the {section} feeds (feeds/{section}/), so no section may "
            "be called that; choose another section name",
        )
    return section_name, section


def _section_title(v: _Validator, config: SiteConfig, section: str, section_name: str) -> str:
    """The config's title for the section, else the article's `section:` as written, else a default."""
    return config.sections.get(section) or (
        section_name if "section" in v.fields else config.section_title(section)
    )


def _authors(v: _Validator) -> list[str]:
    authors = v.string_list("authors", MAX_AUTHORS) + v.string_list("author", MAX_AUTHORS)
    if "authors" in v.fields and "author" in v.fields:
        v.fail("author", "give either `author` or `authors`, not both")
    return authors


def _language(v: _Validator, config: SiteConfig) -> str:
    language = v.string("language", limit=35) or config.language
    if not LANGUAGE_PATTERN.fullmatch(language):
        v.fail("language", f"{language!r} is not a language tag like en or pt-BR")
    return language


def _dates(v: _Validator) -> tuple[datetime | None, datetime | None]:
    """(published, updated); an update cannot come first."""
    published = v.timestamp("published", required=True)
    updated = v.timestamp("updated", required=False)
    if published and updated and updated < published:
        v.fail(
            "updated",
            f"{v.fields['updated']!r} is before published {v.fields['published']!r}; "
            "an update cannot come first",
        )
    return published, updated


def _draft(v: _Validator) -> bool:
    draft = v.fields.get("draft", False)
    if not isinstance(draft, bool):
        v.fail("draft", f"must be true or false, not {draft!r}")
        return False
    return draft


def _access(v: _Validator) -> str:
    """Who may read the body; anything but the three levels is refused, never guessed, since a
    wrong guess could publish a paid story whole."""
    if "access" not in v.fields:
        return PUBLIC
    value = v.fields["access"]
    if isinstance(value, str) and value in ACCESS_LEVELS:
        return value
    shown = repr(value) if isinstance(value, str) else _describe(value)
    close = difflib.get_close_matches(str(value).strip().lower(), ACCESS_LEVELS, n=1, cutoff=0.6)
    fix = (
        f"did you mean `access: {close[0]}`?"
        if close and value is not None
        else "write `access: paid` (subscribers) or `access: members`, "
        "or leave the line out for a public story"
    )
    v.fail("access", f"must be public, members or paid, not {shown}; {fix}")
    return PUBLIC


def _url(v: _Validator, config: SiteConfig, section: str, article_id: str, published: datetime | None) -> str:
    """`url`, else made from the config's template once section, id and date are known."""
    url_value = v.fields.get("url")
    if url_value is not None:
        return v.url("url", url_value)
    if not (published and section and article_id):
        return ""
    return config.url_template.format(
        base_url=config.base_url, section=section, id=article_id,
        year=f"{published.year:04d}", month=f"{published.month:02d}",
    )  # fmt: skip


def _sanitized_body(path: str, body_html: str, url: str) -> str:
    """The body with unsafe markup removed; an article with nothing left is rejected."""
    from feedpub.sanitize import html_to_text, sanitize_html

    sanitized = sanitize_html(body_html, url)
    if not html_to_text(sanitized) and "<img" not in sanitized:
        raise ArticleError(
            path,
            [
                Problem(
                    "body",
                    "nothing is left of the body once unsafe markup is removed; write the story as text",
                )
            ],
        )
    return sanitized


def _body_html(v: _Validator, raw: RawArticle) -> str:
    text = raw.body_markdown if raw.body_markdown is not None else raw.body_html
    if text is None or not text.strip():
        v.fail(
            "body",
            "the article has no text; write the story after the front matter"
            if raw.body_html is None and raw.body_markdown is not None
            else "the article has no text; add `body` (Markdown) or `body_html`",
        )
        return ""
    if len(text) > MAX_BODY_CHARS:
        v.fail("body", f"is {len(text):,} characters; at most {MAX_BODY_CHARS:,} are allowed")
        return ""
    from feedpub.sanitize import MAX_NESTING, markdown_to_html, nests_too_deep

    render: Callable[[str], str] = markdown_to_html if raw.body_markdown is not None else str
    html = render(strip_illegal(text))
    if html.count("<") >= QUICK_DEPTH_TAGS and nests_too_deep(html):
        v.fail("body", f"nests HTML elements more than {MAX_NESTING} deep; flatten the markup")
        return ""
    return html


def parse_article(path: str, data: bytes, config: SiteConfig, *, lazy: bool = False) -> Article:
    """Bytes of one article file to a validated Article; raises ArticleError on any problem
    (`lazy`: see `validate_article`)."""
    from feedpub.source import load_raw_article

    return validate_article(path, load_raw_article(path, data), config, lazy=lazy)
