"""Creators: profiles, a transparent credibility score, recognition and a watchlist.

Plain-data entry points for the CLI and the web UI (every function returns dicts or dataclasses
with `as_dict()`; see docs/creators.md)::

    from trustwatch.creators import load_profiles, profile_data, lists_data
    profiles = load_profiles("./trustwatch.db")             # list[CreatorProfile]
    profile_data("./trustwatch.db", "user:abc")             # one profile as a dict, with its score
    lists_data("./trustwatch.db", top=10, group_by="mcn")   # recognition + watchlist as dicts

Scores count reviewed decisions only; they come in through the `ViolationSource` interface
(`records.py`), which the cases area's tables implement (`StoreCaseSource`).
"""

from __future__ import annotations

from .api import all_creators_data, lists_data, load_profiles, profile_data, resolve_creator
from .lists import Ranked, recognition, watchlist
from .profile import CreatorProfile, build_profile, build_profiles
from .records import (
    AppealRecord,
    ConfirmedViolation,
    CreatorKey,
    NoticeRecord,
    RecordList,
    StoreCaseSource,
    ViolationSource,
)
from .score import DEFAULT_SETTINGS, Component, ScoreBreakdown, ScoreSettings, credibility

__all__ = [
    "DEFAULT_SETTINGS",
    "AppealRecord",
    "Component",
    "ConfirmedViolation",
    "CreatorKey",
    "CreatorProfile",
    "NoticeRecord",
    "Ranked",
    "RecordList",
    "ScoreBreakdown",
    "ScoreSettings",
    "StoreCaseSource",
    "ViolationSource",
    "all_creators_data",
    "build_profile",
    "build_profiles",
    "credibility",
    "lists_data",
    "load_profiles",
    "profile_data",
    "recognition",
    "resolve_creator",
    "watchlist",
]
