"""The district hub: a thin HTTPS service over PostgreSQL that laptops sync with.

A separate program (`jiangxin-hub`) in the same repository, Qt-free, running the same merge
core as the laptops (`services/merge.py` on a `storage.store.ServerStore`). Laptops never hold
database credentials: they talk to this service (protocol: docs/hub-protocol.md).

- `tables`: the hub's own tables (change counter, change log, publish log, photo blobs,
  accounts and devices), beside the library schema that holds the records;
- `database`: opening a hub database (both migration chains) and bumping the change counter.
"""
