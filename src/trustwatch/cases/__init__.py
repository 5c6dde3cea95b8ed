"""Cases: human review of flags, statements of reasons, platform notices and their compliance,
appeals, a tamper-evident audit log, alerts, labeled-data export and shadow-pack reports.

Every state change goes through `CaseService`, which writes the change and its audit entry in one
transaction and refuses any change without an actor and a written reason::

    from trustwatch.cases import CaseService
    svc = CaseService.open("./trustwatch.db")
    opened = svc.open_cases()                       # from the latest scan's flags, per policy action
    svc.decide(opened[0], "confirm", reviewer="lan", reason="Price list and Zalo for paid exorcism.")
"""

from __future__ import annotations

from .service import CaseService, ConflictError

__all__ = ["CaseService", "ConflictError"]
