"""Reports: the union's dashboard, the term report, public statistics and the open data feed (top layer).

Read models only (no tables): counts grouped by the database over the other domains' tables.

- ``sources``: the reads (``GROUP BY`` over registrations, nominations; published results; the data version)
- ``rules``: pure: periods, age bands, what counts as what, figures from grouped counts
- ``cache``: per-process LRU keyed on the database's data version (never stale, bounded)
- ``dashboard``: the use case: a period's figures, computed once per data version
- ``charts``: pure SVG charts of a figure (page and PDF)
- ``exports``: a figure as XLSX; the term report as text and PDF
- ``lists``: the rows behind each number
- ``open_data``: ``/api/open/v1``: results, honour rolls, change feed; cursors and ETags
- ``routes``: thin controllers and the pages; ``demo``: a full term (``yicheng demo --term``)
"""
