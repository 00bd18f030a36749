"""The results store: every run and every measurement, committed as it is taken.

``results_store`` (an SQLAlchemy store: SQLite file or database server), ``journal`` (a
server behind a local journal), ``upload`` (the journal's way to the server), ``schema``
(the layout and its version), ``engine`` (connections), ``check`` (damage refused). A run
sees only the ``Store`` protocol and ``open_store``.
"""

from harness.recording.store.journal import BufferedStore, open_store
from harness.recording.store.protocol import Store
from harness.recording.store.results_store import ResultsStore

__all__ = ["BufferedStore", "ResultsStore", "Store", "open_store"]
