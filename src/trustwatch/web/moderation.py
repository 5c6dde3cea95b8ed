"""`POST /v1/moderations`: the request and response shape of the widely used moderation endpoint,
answered by trustwatch's policy packs, with the evidence (`findings`) added to every result.

- `input` is a string, a list of strings, or a list of parts `{"type": "text", "text": …}` /
  `{"type": "image_url", "image_url": {"url": …}}`; one result per item, a list of parts being one
  item. Text parts of one item are scored together (evidence in one part and the call to action in
  another still make a flag); each finding's `source` names its part (`text:0`, `text:2`, …) and
  its `start`/`end` index that part's original text. A plain string's findings use `source: "text"`.
- Categories are the active pack ids; `category_applied_input_types` lists the input types that
  were actually analysed for each category.
- Images: only `data:image/…;base64,…` URLs are accepted (the server never fetches a URL). Reading
  text in images needs the media extractor, which this build does not include; such a part gets an
  entry in the result's `errors` and counts for nothing, rather than being reported as clean.
- `model` is accepted for compatibility and ignored; the response names the packs that ran.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..detect import Detector
from ..detect.base import Document
from ..normalize import normalize

MAX_ITEMS = 64
MAX_TEXT = 100_000  # the same limit as scanned records
MAX_IMAGE_BYTES = 10 * 1024 * 1024


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]
    text: Annotated[str, Field(max_length=MAX_TEXT)]


class ImageURL(BaseModel):
    url: Annotated[str, Field(max_length=MAX_IMAGE_BYTES * 4 // 3 + 200, description="A data:image/...;base64,... URL.")]


class ImagePart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["image_url"]
    image_url: ImageURL


Part = Annotated[TextPart | ImagePart, Field(discriminator="type")]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class ModerationRequest(BaseModel):
    input: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_ITEMS)] | Annotated[list[Part], Field(min_length=1, max_length=MAX_ITEMS)] = Field(
        description="A string, a list of strings (one result each), or a list of text/image_url parts (one result)."
    )
    model: str | None = Field(default=None, description="Accepted for compatibility; trustwatch answers with its policy packs.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"input": "Nhận xem bói, giải hạn, ib zalo 0912 345 678"}]})

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        # One clear sentence instead of one error per member of the union.
        if isinstance(data, dict) and "input" in data:
            inp = data["input"]
            ok = isinstance(inp, str) or (
                isinstance(inp, list) and inp and (all(isinstance(x, str) for x in inp) or all(isinstance(x, dict) for x in inp))
            )
            if not ok:
                raise ValueError(
                    "input must be a string, a non-empty list of strings, or a non-empty list of "
                    '{"type": "text", "text": ...} / {"type": "image_url", "image_url": {"url": ...}} parts'
                )
        return data


class Finding(BaseModel):
    category: str
    signal: str
    score: float
    source: str = Field(description="`text` for a plain string, `text:N` for the N-th part of a list of parts.")
    start: int
    end: int
    excerpt: str
    explanation: str


class InputError(BaseModel):
    part: int
    type: str
    error: str


class Result(BaseModel):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[str]]
    findings: list[Finding]
    errors: list[InputError] = Field(default_factory=list, description="Parts that could not be analysed, one sentence each.")


class ModerationResponse(BaseModel):
    id: str
    model: str
    results: list[Result]


_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*?;base64,", re.IGNORECASE)


def check_image_url(url: str) -> str | None:
    """None when `url` is an image data URL we could analyse; otherwise why not, in one sentence."""
    m = _DATA_URL.match(url)
    if not m:
        if url.startswith(("http://", "https://")):
            return "Image URLs are not fetched by the server; send the image inline as a data:image/...;base64,... URL."
        return "The image_url is not a data:image/...;base64,... URL."
    if not m.group(1):
        return "The data URL does not say it is an image; use data:image/png;base64,... (or jpeg, webp, gif)."
    payload = url[m.end():]
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return "The image data URL is not valid base64."
    if len(raw) > MAX_IMAGE_BYTES:
        return f"The image is {len(raw):,} bytes; the limit is {MAX_IMAGE_BYTES:,}."
    return None


class Moderator:
    """The detector of this process (built once, at startup) behind the endpoint's shapes."""

    def __init__(self, detector: Detector, model_name: str) -> None:
        self.detector = detector
        self.model_name = model_name
        self.categories = list(detector.active)

    def _result(self, doc: Document, analysed: bool, errors: list[dict[str, Any]]) -> dict[str, Any]:
        if analysed:
            r = self.detector.detect_document(doc)
            applied = ["text"]
        else:  # nothing analysable in this item: no category was measured
            r = {"flagged": False, "categories": dict.fromkeys(self.categories, False),
                 "category_scores": dict.fromkeys(self.categories, 0.0), "findings": []}
            applied = []
        return {
            "flagged": r["flagged"],
            "categories": r["categories"],
            "category_scores": r["category_scores"],
            "category_applied_input_types": {c: list(applied) for c in self.categories},
            "findings": r["findings"],
            "errors": errors,
        }

    def moderate_text(self, text: str) -> dict[str, Any]:
        return self._result(Document((("text", normalize(text)),)), True, [])

    def moderate_parts(self, parts: list[TextPart | ImagePart]) -> dict[str, Any]:
        sources = []
        errors: list[dict[str, Any]] = []
        for i, part in enumerate(parts):
            if isinstance(part, TextPart):
                sources.append((f"text:{i}", normalize(part.text)))
            else:
                why = check_image_url(part.image_url.url)
                errors.append({
                    "part": i, "type": "image_url",
                    "error": why or "Images cannot be analysed by this server yet: the media extractor (OCR and image matching) is not part of this build; the part was not checked.",
                })
        return self._result(Document(tuple(sources)), bool(sources), errors)

    def moderate(self, req: ModerationRequest) -> dict[str, Any]:
        inp = req.input
        if isinstance(inp, str):
            results = [self.moderate_text(inp)]
        elif all(isinstance(x, str) for x in inp):
            results = [self.moderate_text(x) for x in inp]  # type: ignore[arg-type]
        else:
            results = [self.moderate_parts(inp)]  # type: ignore[arg-type]
        return {"id": f"modr-{uuid.uuid4().hex}", "model": self.model_name, "results": results}
