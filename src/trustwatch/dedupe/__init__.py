"""Near-duplicate clusters, the earliest source and the spread of reposted content.

Usage::

    from trustwatch.store import Store
    from trustwatch.dedupe import SourceIndex, list_clusters
    with Store.open("./trustwatch.db") as store:
        index = SourceIndex(store)             # the persistent index in that database
        index.index_pending()                  # posts stored but not indexed yet
        index.add_image_hashes([(("facebook", "fb:1"), "f8f8…")])   # PDQ hashes from media
        for c in list_clusters(index, top=10):
            print(c["cluster_id"], c["size"], c["earliest_post_id"], c["reach"])
"""

from __future__ import annotations

from .clusters import cluster, list_clusters
from .index import DEFAULT_THRESHOLD, SourceIndex, SourcesError
from .minhash import LshParams, MinHasher, shingle_sets
from .urls import normalize_url

__all__ = [
    "DEFAULT_THRESHOLD",
    "LshParams",
    "MinHasher",
    "SourceIndex",
    "SourcesError",
    "cluster",
    "list_clusters",
    "normalize_url",
    "shingle_sets",
]
