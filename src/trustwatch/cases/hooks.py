"""What the scan calls when it has stored a run: removal requests whose post the run still saw
after the notice's deadline become `not_complied` (with an audit entry naming the run)."""

from __future__ import annotations


def after_scan(db: str, run_id: int) -> int:
    from .service import CaseService

    with CaseService.open(db, packs=[]) as svc:
        return svc.mark_seen_after_deadline(run_id)
