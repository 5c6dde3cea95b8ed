"""Known-image matching with PDQ: hashes with their dihedral variants, hash banks, and the plain
text format of Meta's ThreatExchange tools.

Each image and video frame gets PDQ's 256-bit hash for each of its eight dihedral variants (the
four rotations, mirrored or not), so a flipped or rotated copy of a banked image still matches.
Banks are operator lists of known bad images (a match is a finding in the bank's category) or
known fine ones ("negative": a match means the item's text is not used against the post, the
usual remedy for a public-service banner that keeps tripping a lexicon).

Hex follows python-threatexchange: the 256 bits in PDQ's order, four bits per hex digit, most
significant first, so banks exchanged with those tools compare correctly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .base import ImageHash

# The dihedral variants in the order pdqhash.compute_dihedral returns them.
VARIANT_NAMES = (
    "as is", "rotated 90°", "rotated 180°", "rotated 270°",
    "mirrored", "mirrored and rotated 90°", "mirrored and rotated 180°", "mirrored and rotated 270°",
)
DRAFT_SIDE = 256  # images are hashed at the smallest power-of-two reduction still this large
DEFAULT_DISTANCE = 31  # ThreatExchange's usual PDQ match threshold (of 256 bits)


def bits_to_hex(bits: Any) -> str:
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex()


def hex_to_words(hexes: list[str]) -> np.ndarray:
    """(N, 4) uint64 words of N hex hashes, for XOR-and-popcount distance."""
    if not hexes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = b"".join(bytes.fromhex(h) for h in hexes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def hash_image(img: Any, position: str, t: float | None = None) -> ImageHash:
    """PDQ of a PIL image of any size, with its eight dihedral variants."""
    import pdqhash

    if img.mode != "RGB":
        img = img.convert("RGB")
    # PDQ reads a 64×64 downsample; a box reduction by a power of two to no less than DRAFT_SIDE a
    # side loses nothing it uses, and matches what a JPEG draft decode gives (`hash_file`), so an
    # image hashed either way gets the same hash.
    w, h = img.size
    s = 1
    while s < 8 and w // (2 * s) >= DRAFT_SIDE and h // (2 * s) >= DRAFT_SIDE:
        s *= 2
    if s > 1:
        img = img.reduce(s)
    vectors, quality = pdqhash.compute_dihedral(np.asarray(img))
    return ImageHash(position, tuple(bits_to_hex(v) for v in vectors), int(quality), t)


def hash_file(path: Path, settings: Any, shown: str | None = None) -> ImageHash:
    """PDQ of an image file with a reduced-size JPEG decode (draft mode): PDQ reads a 64×64
    downsample, and decoding at 1/2-1/8 scale is several times faster than a full decode."""
    from .safety import open_image

    img = open_image(path, settings, shown or path.name, draft=(DRAFT_SIDE, DRAFT_SIDE))
    try:
        return hash_image(img, "pdq")
    finally:
        img.close()


def distance(a: str, b: str) -> int:
    return int(np.bitwise_count(hex_to_words([a]) ^ hex_to_words([b])).sum())


# --- banks ------------------------------------------------------------------------------------------

BANK_KINDS = ("bad", "negative")
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_LINE = re.compile(r"(\S+?)(?:[,\t ]+(.*))?$")


class BankFormatError(ValueError):
    """A bank file could not be read; `errors` lists every `file:line: problem` at once."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class BankEntry:
    hash: str  # 64 lowercase hex digits
    quality: int | None = None
    label: str | None = None  # the rest of the line: a name, an id, tags


@dataclass(frozen=True)
class HashBank:
    name: str
    kind: str  # bad | negative
    category: str | None  # the category a match is a finding in (bad banks)
    max_distance: int = DEFAULT_DISTANCE
    entries: tuple[BankEntry, ...] = ()


def parse_bank_text(text: str, source: str = "<bank>") -> list[BankEntry]:
    """The ThreatExchange plain text format: one hex hash per line, optionally followed (after a
    comma, tab or space) by a quality number and/or metadata; `#` starts a comment line."""
    entries: list[BankEntry] = []
    errors: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _LINE.match(s)
        head, rest = (m.group(1), m.group(2) or "") if m else (s, "")
        if head.lower().startswith("pdq") and not _HEX.fullmatch(head):  # "pdq <hex>" as `tx hash` prints it
            parts = rest.strip().split(None, 1)
            head, rest = (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
        if not _HEX.fullmatch(head):
            errors.append(f"{source}:{n}: {head[:70]!r} is not a PDQ hash; each line must start with 64 hex digits")
            continue
        quality: int | None = None
        label: str | None = None
        rest = rest.strip()
        if rest:
            first, _, after = rest.partition(",") if "," in rest else rest.partition(" ")
            if first.strip().isdigit() and 0 <= int(first.strip()) <= 100:
                quality = int(first.strip())
                rest = after.strip()
            label = rest or None
        entries.append(BankEntry(head.lower(), quality, label))
    if errors:
        raise BankFormatError(errors)
    return entries


def format_bank_text(bank: HashBank) -> str:
    """The bank in the plain text format (`hash[,quality[,label]]`), with a comment header that
    ThreatExchange's tools skip and trustwatch reads back."""
    out = [
        f"# trustwatch hash bank {bank.name}: kind={bank.kind}"
        + (f" category={bank.category}" if bank.category else "")
        + f" max_distance={bank.max_distance} entries={len(bank.entries)}"
    ]
    for e in bank.entries:
        parts = [e.hash]
        if e.quality is not None or e.label:
            parts.append("" if e.quality is None else str(e.quality))
        if e.label:
            parts.append(e.label.replace("\n", " "))
        out.append(",".join(parts))
    return "\n".join(out) + "\n"


@dataclass(frozen=True, slots=True)
class BankMatch:
    bank: str
    kind: str
    category: str | None
    entry: BankEntry
    distance: int
    variant: str
    max_distance: int


class BankMatcher:
    """Every bank compiled to one array of words; `match` is a vectorized XOR-and-popcount scan,
    fast enough for banks of a few hundred thousand hashes."""

    def __init__(self, banks: list[HashBank]) -> None:
        self.banks = [b for b in banks if b.entries]
        self._words = [hex_to_words([e.hash for e in b.entries]) for b in self.banks]

    def __bool__(self) -> bool:
        return bool(self.banks)

    def match(self, h: ImageHash) -> list[BankMatch]:
        """The closest entry of each bank within that bank's distance."""
        out: list[BankMatch] = []
        if not self.banks:
            return out
        query = hex_to_words(list(h.variants))  # (8, 4)
        for bank, words in zip(self.banks, self._words, strict=True):
            d = np.bitwise_count(query[:, None, :] ^ words[None, :, :]).sum(axis=2)  # (8, N)
            v, i = np.unravel_index(int(np.argmin(d)), d.shape)
            best = int(d[v, i])
            if best <= bank.max_distance:
                out.append(BankMatch(bank.name, bank.kind, bank.category, bank.entries[int(i)], best, VARIANT_NAMES[int(v)], bank.max_distance))
        return out
