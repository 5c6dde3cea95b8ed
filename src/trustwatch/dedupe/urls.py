"""Link normalization, so the same page shared with different tracking decorations is one link.

Nothing is resolved over the network: a shortened link stays what it is (two posts sharing the
same bit.ly link still meet). The rules: scheme dropped (http and https are one page), host
lowercased without ``www.``/``m.``/``mobile.`` and without a default port, fragment dropped,
tracking parameters removed (utm_*, fbclid, gclid, igshid, …), the remaining parameters sorted, a
trailing slash dropped. A key is the first 8 bytes of the blake2b of that form (a signed 64-bit
integer, for an indexed BIGINT column).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

TRACKING = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "igsh",
        "mc_cid", "mc_eid", "_ga", "_gl", "ref", "ref_src", "ref_url", "referrer",
        "si", "share_id", "sharer", "feature", "spm", "scm", "tt_from", "is_from_webapp",
        "sender_device", "sender_web_id", "_r", "_t", "mibextid", "rdid", "share_url_type",
        "cmpid", "ito", "ocid", "smid", "__tn__", "__cft__", "_hsenc", "_hsmi",
    }
)
_HOST_PREFIX = re.compile(r"^(?:www\d?|m|mobile|amp)\.")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def normalize_url(url: str) -> str | None:
    """The canonical form of a link, or None when it has no host (not a web link)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url:
        return None
    if not _SCHEME.match(url):
        url = "https://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = _HOST_PREFIX.sub("", host)
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/%:@!$&'()*+,;=-._~")
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower().startswith("utm_") or k.lower() in TRACKING)
    ]
    q = urlencode(sorted(query))
    return f"{host}{path}" + (f"?{q}" if q else "")


def url_host(normalized: str) -> str:
    return normalized.split("/", 1)[0].split("?", 1)[0]


def url_key(normalized: str) -> int:
    digest = hashlib.blake2b(normalized.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def is_specific(normalized: str) -> bool:
    """A link to a page, not a bare site: only those join clusters (every post linking a
    platform's home page is not one campaign)."""
    rest = normalized[len(url_host(normalized)) :]
    return len(rest.strip("/?")) > 1
