"""The analyses a probe answers: breakdown, comparison, confusion, slice discovery, column
profiles (``_slice_search``, the SliceLine lattice search, and ``_row_sample`` are machinery)."""
