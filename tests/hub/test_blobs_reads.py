"""How the hub groups the photo files of one /v1/blobs/fetch into database reads."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from desktop_app.hub.blobs import reads_of


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=100), max_size=40),
    max_bytes=st.integers(min_value=1, max_value=150),
)
def test_reads_keep_the_order_and_stay_within_the_budget(sizes: list[int], max_bytes: int) -> None:
    files = [(f"{n:064x}", size) for n, size in enumerate(sizes)]
    size_of = dict(files)
    groups = reads_of(files, max_bytes)
    assert [sha for group in groups for sha in group] == [sha for sha, _ in files]
    for group in groups:
        assert group  # no empty read
        assert len(group) == 1 or sum(size_of[sha] for sha in group) <= max_bytes
    # Greedy: a group ends only where the next file would not fit.
    for group, following in itertools.pairwise(groups):
        assert sum(size_of[sha] for sha in group) + size_of[following[0]] > max_bytes
