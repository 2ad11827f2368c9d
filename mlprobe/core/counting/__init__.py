"""How rows fall into groups (``grouping``), and the per-group sums metrics read
(``_group_stats``, ``_row_terms``: the machinery behind a grouping)."""
