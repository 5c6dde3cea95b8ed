"""The near-duplicate clusters as the review workflow sees them: `cluster_of(platform, post_id)`.

Registered under the entry point group `trustwatch.clusters`, which `trustwatch cases open` reads,
so posts in one cluster share one case. The key names the cluster the post is in when the cases
are opened; clusters merged later keep their cases.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, select

from ..store.schema import PostRow
from ..store.schema_sources import SourcePost


def cluster_provider(engine: Engine) -> Callable[[str | None, str], str | None]:
    """A `cluster_of(platform, post_id) -> "cluster:ID"` over this database's index (None for a
    post the index has not seen)."""
    posts = PostRow.__table__
    sp = SourcePost.__table__

    def cluster_of(platform: str | None, post_id: str) -> str | None:
        query = (
            select(sp.c.cluster_id)
            .join(posts, posts.c.id == sp.c.post_pk)
            .where(posts.c.platform == (platform or ""), posts.c.post_id == post_id)
        )
        with engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else f"cluster:{found}"

    return cluster_of
