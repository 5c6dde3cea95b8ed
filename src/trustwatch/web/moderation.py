"""`POST /v1/moderations`: the request and response shape of the widely used moderation endpoint,
answered by trustwatch's policy packs, with the evidence (`findings`) added to every result.

- `input` is a string, a list of strings, or a list of parts `{"type": "text", "text": …}` /
  `{"type": "image_url", "image_url": {"url": …}}`; one result per item, a list of parts being one
  item. Text parts of one item are scored together (evidence in one part and the call to action in
  another still make a flag); each finding's `source` names its part (`text:0`, `text:2`, …) and
  its `start`/`end` index that part's original text. A plain string's findings use `source: "text"`.
- Categories are the active pack ids; `category_applied_input_types` lists the input types that
  were actually analysed for each category.
- Images: only `data:image/…;base64,…` URLs are accepted (the server never fetches a URL). With the
  media extractor present (`trustwatch.extract`, issue 4) an image's text is read by OCR and scored
  together with the text parts (findings' source `image:N:ocr…`, offsets into the OCR text) and the
  image is matched against the hash banks; without it, or when an image cannot be read, the part
  gets an entry in the result's `errors` and counts for nothing, rather than being reported clean.
- `model` is accepted for compatibility and ignored; the response names the packs that ran.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..detect import Detector
from ..detect.base import Document
from ..normalize import Normalized, normalize

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
    extracted: dict[str, str] = Field(default_factory=dict, description="Text read from images, by source: what image findings' offsets index.")


class ModerationResponse(BaseModel):
    id: str
    model: str
    results: list[Result]


_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*?;base64,", re.IGNORECASE)


def decode_image_url(url: str) -> tuple[str, bytes] | str:
    """(media type, bytes) of an image data URL; otherwise why it cannot be used, in one sentence."""
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
    if not raw:
        return "The image data URL holds no data."
    if len(raw) > MAX_IMAGE_BYTES:
        return f"The image is {len(raw):,} bytes; the limit is {MAX_IMAGE_BYTES:,}."
    return m.group(1).lower(), raw


class ImageReader(Protocol):
    """Reads text from images and matches them against hash banks (the media area's extractor)."""

    def read(self, images: list[tuple[int, str, bytes]]) -> tuple[list[tuple[str, Normalized]], Any, dict[int, str]]:
        """For (part index, media type, bytes): sources to detect on, an opaque handle for
        `add_matches`, and a one-sentence error per part that could not be read."""

    def add_matches(self, result: dict[str, Any], handle: Any, detector: Detector) -> None:
        """Add known-image (hash bank) findings to a detection result."""


class Moderator:
    """The detector of this process (built once, at startup) behind the endpoint's shapes."""

    def __init__(self, detector: Detector, model_name: str, images: ImageReader | None = None) -> None:
        self.detector = detector
        self.model_name = model_name
        self.categories = list(detector.active)
        self.images = images

    def _result(self, doc: Document, analysed: bool, errors: list[dict[str, Any]], applied: list[str] | None = None,
                handle: Any = None, extracted: dict[str, str] | None = None) -> dict[str, Any]:
        if analysed:
            r = self.detector.detect_document(doc)
            if handle is not None and self.images is not None:
                self.images.add_matches(r, handle, self.detector)
            applied = applied or ["text"]
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
            **({"extracted": extracted} if extracted else {}),
        }

    def moderate_text(self, text: str) -> dict[str, Any]:
        return self._result(Document((("text", normalize(text)),)), True, [])

    def moderate_parts(self, parts: list[TextPart | ImagePart]) -> dict[str, Any]:
        sources: list[tuple[str, Normalized]] = []
        errors: list[dict[str, Any]] = []
        images: list[tuple[int, str, bytes]] = []
        for i, part in enumerate(parts):
            if isinstance(part, TextPart):
                sources.append((f"text:{i}", normalize(part.text)))
                continue
            decoded = decode_image_url(part.image_url.url)
            if isinstance(decoded, str):
                errors.append({"part": i, "type": "image_url", "error": decoded})
            elif self.images is None:
                errors.append({"part": i, "type": "image_url", "error": (
                    "Images cannot be analysed by this server: the media extractor (OCR and image matching) "
                    "is not part of this build; the part was not checked.")})
            else:
                images.append((i, *decoded))
        applied = ["text"] if sources else []
        handle = None
        extracted: dict[str, str] = {}
        if images and self.images is not None:
            extra, handle, failed = self.images.read(images)
            sources += extra
            extracted = {name: norm.original for name, norm in extra}
            errors += [{"part": i, "type": "image_url", "error": why} for i, why in sorted(failed.items())]
            if len(failed) < len(images):
                applied.append("image")
        errors.sort(key=lambda e: e["part"])
        analysed = bool(sources) or "image" in applied
        return self._result(Document(tuple(sources)), analysed, errors, applied, handle, extracted)

    def needs_thread(self, req: ModerationRequest) -> bool:
        """Whether the request reads images (seconds of OCR: keep it off the event loop)."""
        return self.images is not None and isinstance(req.input, list) and any(isinstance(x, ImagePart) for x in req.input)

    def moderate(self, req: ModerationRequest) -> dict[str, Any]:
        inp = req.input
        if isinstance(inp, str):
            results = [self.moderate_text(inp)]
        elif all(isinstance(x, str) for x in inp):
            results = [self.moderate_text(x) for x in inp]  # type: ignore[arg-type]
        else:
            results = [self.moderate_parts(inp)]  # type: ignore[arg-type]
        return {"id": f"modr-{uuid.uuid4().hex}", "model": self.model_name, "results": results}
