"""Campaign definitions: a YAML file per campaign, validated with pydantic.

```yaml
id: mua-sam-an-toan
name: Mua sắm an toàn mùa lễ hội
hashtags: [muasamantoan, "#NoiKhongVoiLuaDao"]     # matched without '#', case or diacritics
keywords: [mua sắm an toàn, shopping safely]       # matched in the text, diacritic-insensitively
window: {start: 2026-10-01, end: 2026-11-30}        # dates are whole days, end included
timezone: "+07:00"                                  # of the window and the daily buckets
seed_urls: [https://news.example.vn/bai-viet-123]  # news articles whose amplification is measured
platforms: []                                       # optional: only these platforms
```

A post belongs to the campaign when it was published inside the window (on one of `platforms`, if
given) and carries one of the hashtags, contains one of the keywords, or links to (or shares) one of
the seed articles. Errors read `file:field: what is wrong; how to fix it`, every one at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..creators.facts import PostFact, plain, tag_key
from ..errors import TrustwatchError
from ..policy import format_validation_error

_TZ = re.compile(r"^(?:UTC|Z|[+-](?:0\d|1[0-4]):[0-5]\d)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|igshid|si|ref|ref_src)$", re.IGNORECASE)


class CampaignError(TrustwatchError):
    """A campaign file cannot be used; `errors` lists every `file:field: problem; fix` line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if len(errors) == 1 else f"{len(errors)} errors in campaign files:\n" + "\n".join(errors))
        self.errors = errors


def normalize_url(url: str) -> str:
    """A URL compared without scheme, `www.`/`m.`, trailing slash, fragment or tracking parameters."""
    parts = urlsplit(url.strip())
    if not parts.netloc and "://" not in url:
        parts = urlsplit("//" + url.strip())
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not TRACKING.match(k)])
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{query}" if query else "")


def _when(v: Any) -> date | datetime:
    """A date (a whole day) or a datetime, from YAML's own dates or from text."""
    if isinstance(v, date):  # datetime is a date too
        return v
    if isinstance(v, str):
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return parse(v.strip())
            except ValueError:
                pass
    raise ValueError(f"{v!r} is not a date; write it as YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time of day")


When = Annotated[date | datetime, BeforeValidator(_when)]


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: When
    end: When

    @model_validator(mode="after")
    def _order(self) -> Window:
        if _as_date(self.end) < _as_date(self.start):
            raise ValueError(f"the window ends ({self.end}) before it starts ({self.start}); swap them")
        return self


def _as_date(v: date | datetime) -> date:
    return v.date() if isinstance(v, datetime) else v


class CampaignSpec(BaseModel):
    """The YAML schema of one campaign."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1)
    description: str | None = None
    hashtags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    window: Window
    timezone: str = "UTC"
    seed_urls: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"{v!r} is not a campaign id of lowercase letters, digits, '-' and '_'; rename it, e.g. {re.sub(r'[^a-z0-9_-]+', '-', v.lower()).strip('-') or 'my-campaign'!r}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if not _TZ.match(v):
            raise ValueError(f"{v!r} is not a UTC offset; write it as +07:00, -05:00 or UTC")
        return v

    @field_validator("hashtags", "keywords")
    @classmethod
    def _terms(cls, v: list[str]) -> list[str]:
        for t in v:
            if not t.strip("# "):
                raise ValueError("an entry is empty; remove it or write the term")
        return v

    @field_validator("seed_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for u in v:
            if not urlsplit(u).netloc:
                raise ValueError(f"{u!r} is not an absolute URL; write it with https:// and the site name")
        return v

    @model_validator(mode="after")
    def _something_to_match(self) -> CampaignSpec:
        if not (self.hashtags or self.keywords or self.seed_urls):
            raise ValueError("the campaign has no hashtags, keywords or seed_urls, so no post can match it; add at least one")
        return self


@dataclass(frozen=True)
class Campaign:
    """A validated campaign, ready to match posts."""

    spec: CampaignSpec
    path: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def tz(self) -> timezone:
        tz = self.spec.timezone
        if tz in ("UTC", "Z"):
            return UTC
        sign = -1 if tz[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))

    @property
    def start(self) -> datetime:
        s = self.spec.window.start
        return _aware(s, self.tz) if isinstance(s, datetime) else datetime.combine(s, time(), self.tz)

    @property
    def end(self) -> datetime:
        """The first instant after the window (a date end includes its whole day)."""
        e = self.spec.window.end
        return _aware(e, self.tz) if isinstance(e, datetime) else datetime.combine(e + timedelta(days=1), time(), self.tz)

    def _tags(self) -> frozenset[str]:
        return frozenset(tag_key(t) for t in self.spec.hashtags)

    def _keywords(self) -> tuple[str, ...]:
        return tuple(plain(k) for k in self.spec.keywords)

    def seeds(self) -> dict[str, str]:
        """normalized URL -> the URL as written."""
        return {normalize_url(u): u for u in self.spec.seed_urls}

    def match(self, post: PostFact) -> tuple[str, ...]:
        """Why the post belongs to the campaign (`hashtag:x`, `keyword:y`, `article:url`); () if not."""
        if post.created_at is None or not (self.start <= post.created_at < self.end):
            return ()
        if self.spec.platforms and post.platform not in self.spec.platforms:
            return ()
        why = [f"hashtag:{t}" for t in sorted(post.tag_keys & self._tags())]
        if self._keywords():
            text = plain(post.text)
            why += [f"keyword:{k}" for k in self._keywords() if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text)]
        why += [f"article:{u}" for u in self.articles_of(post)]
        return tuple(why)

    def articles_of(self, post: PostFact) -> list[str]:
        """The seed articles (as written in the YAML) that the post links to or shares."""
        seeds = self.seeds()
        found = []
        for link in (*post.links, *( [post.shared_from] if post.shared_from else [])):
            u = seeds.get(normalize_url(link))
            if u and u not in found:
                found.append(u)
        return found

    def matches(self, post: PostFact) -> bool:
        return bool(self.match(post))


def _aware(v: datetime, tz: timezone) -> datetime:
    return v if v.tzinfo else v.replace(tzinfo=tz)


def load_campaign(path: str | Path) -> Campaign:
    """Load and validate one campaign file; raise CampaignError listing every problem."""
    p = Path(path)
    if not p.is_file():
        raise CampaignError([f"{p}: the file does not exist; pass the path of a campaign .yaml file"])
    try:
        data: Any = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CampaignError([f"{p}: the file is not UTF-8 text; save it as UTF-8"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CampaignError([f"{p}:(top level): the YAML cannot be read{where} ({getattr(exc, 'problem', exc)}); fix the syntax"]) from None
    if not isinstance(data, dict):
        raise CampaignError([f"{p}:(top level): the file holds {type(data).__name__}, not a mapping; write `id: ...`, `name: ...` lines"])
    try:
        return Campaign(CampaignSpec.model_validate(data), str(p))
    except ValidationError as exc:
        raise CampaignError(format_validation_error(str(p), exc)) from None


def load_campaigns(paths: list[str | Path]) -> list[Campaign]:
    """Campaign files and folders (every *.yaml / *.yml inside); ids must be unique."""
    files: list[Path] = []
    for path in paths:
        p = Path(path)
        files += sorted([*p.glob("*.yaml"), *p.glob("*.yml")]) if p.is_dir() else [p]
    errors: list[str] = []
    out: dict[str, Campaign] = {}
    for f in files:
        try:
            c = load_campaign(f)
        except CampaignError as exc:
            errors += exc.errors
            continue
        if c.id in out:
            errors.append(f"{f}:id: {c.id!r} is already the id of {out[c.id].path}; give each campaign its own id")
            continue
        out[c.id] = c
    if errors:
        raise CampaignError(errors)
    return list(out.values())


def find_campaign(campaign_id: str, paths: list[str | Path]) -> Campaign:
    """The campaign `campaign_id` (a file path, or an id among the files in `paths`)."""
    if Path(campaign_id).is_file():
        return load_campaign(campaign_id)
    for c in load_campaigns(paths):
        if c.id == campaign_id:
            return c
    raise TrustwatchError(
        f"No campaign {campaign_id!r} was found in {', '.join(str(p) for p in paths)}.",
        "Pass --campaigns DIR (a folder of campaign YAML files) or the path of the YAML file itself.",
    )
