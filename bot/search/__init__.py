"""The search engine: ``/news`` searches, autocomplete counts and the ``/feed explain`` title lookup, over the
stories the store keeps; free of Discord.

It reaches the database only through connections the store hands it, as the ledger does: ``Store.searching()``
yields a connection-bound :class:`bot.search.queries.SearchQueries`, and the store's indexing transaction writes
the full-text index through ``store.search_backend`` (:class:`bot.search.backend.SearchBackend`) and the catalog's
counts from :class:`bot.search.catalog.CatalogDelta`. So the store imports this package and never the reverse:
nothing here imports ``bot.store`` at run time (``tools/check_layers.py`` would find the circle).

- ``service``: :class:`SearchService`, what ``/news`` and ``newsdesk search`` call; pages, paging maths, catalog.
- ``words``, ``filters``, ``listing``, ``ranking``, ``queries``: the search SQL, the same on both databases.
- ``catalog``, ``windows``, ``titles``: autocomplete counts, the cache of ranked windows, explain's titles.
- ``backend`` and, per database, ``sqlite`` (``sqlite_rank``, ``sqlite_bits``) and ``postgres``
  (``postgres_words``, ``postgres_bits``), with the ``bitmaps`` both share: the full-text index itself.
"""
