"""Server-rendered pages: one Jinja2 environment with autoescape on for every template.

Every post, name and URL is untrusted. Nothing from the data is ever marked safe: evidence is
highlighted by slicing the original text at the findings' offsets into pieces that are each escaped
(`segments`), invisible and direction-changing characters are shown as visible markers (`reveal`),
and only http(s) URLs become links (`web_url`).
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from .. import __version__
from ..report import highlight
from .i18n import LABELS, pick_lang, translator
from .security import current_principal

# Characters that change how text around them is shown (bidi overrides and isolates) or that show
# nothing at all (zero-width, soft hyphen, BOM): a reviewer should see that they are there.
_HIDDEN = {0x00AD, 0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062,
           0x2063, 0x2064, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _is_hidden(ch: str) -> bool:
    o = ord(ch)
    return o in _HIDDEN or (unicodedata.category(ch) == "Cc" and ch not in "\n\t")


def reveal(value: Any) -> Markup:
    """Escape `value`; replace hidden and control characters by a visible, inert marker."""
    text = "" if value is None else str(value)
    if not any(_is_hidden(ch) for ch in text):
        return escape(text)
    out = []
    for ch in text:
        if _is_hidden(ch):
            out.append(Markup('<span class="inv" title="U+{0:04X}">⟨U+{0:04X}⟩</span>').format(ord(ch)))
        else:
            out.append(escape(ch))
    return Markup("").join(out)


def reveal_text(value: Any) -> str:
    """Like `reveal`, as plain text (for places that hold no markup: SVG labels, attributes)."""
    text = "" if value is None else str(value)
    return "".join(f"⟨U+{ord(ch):04X}⟩" if _is_hidden(ch) else ch for ch in text)


def web_url(value: Any) -> str | None:
    """The URL when it is an http(s) link a browser may follow; None for javascript:, data:, etc."""
    if not isinstance(value, str) or len(value) > 4096:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(_is_hidden(c) or c.isspace() for c in value.strip()):
        return value.strip()
    return None


def segments(text: str | None, findings: list[dict[str, Any]], source: str = "text") -> list[tuple[str, dict[str, Any] | None]]:
    """The text cut at the evidence offsets: (piece, finding or None), in order."""
    return highlight(text or "", findings, source)


env = Environment(loader=PackageLoader("trustwatch.web", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
env.filters["reveal"] = reveal
env.filters["reveal_text"] = reveal_text
env.globals["web_url"] = web_url
env.globals["segments"] = segments
env.globals["version"] = __version__


def page(request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
         lookup: bool = True, **ctx: Any) -> HTMLResponse:
    lang = pick_lang(request)
    principal = current_principal(request) if lookup else getattr(request.state, "principal", None)
    html = env.get_template(template).render(
        request=request, lang=lang, t=translator(lang), labels=LABELS, me=principal,
        csrf=principal.csrf_token if principal is not None else None, path=request.url.path,
        nav=getattr(request.app.state, "nav", []), **ctx,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def render_error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    # No database lookup here: the error may be that the database is unreachable.
    return page(request, "error.html", status=status, headers=headers, lookup=False, status_code=status, message=message)
