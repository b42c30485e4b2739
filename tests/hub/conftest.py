"""Fixtures of the hub tests: a migrated hub database on the throw-away PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_app.hub.database import HubStore, migrate_hub
from tests.pgserver import Cluster


@pytest.fixture
def hub_url(pg_cluster: Cluster) -> str:
    url = pg_cluster.create_database()
    migrate_hub(url, name="丰台区总工会")
    return url


@pytest.fixture
def hub(hub_url: str) -> Iterator[HubStore]:
    store = HubStore.open(hub_url)
    yield store
    store.close()
