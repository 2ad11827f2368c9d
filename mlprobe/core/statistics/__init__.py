"""Intervals, tests and rank statistics: every uncertainty mlprobe reports.

``intervals``, ``significance`` and ``ranks`` are the methods (docs/statistics.md);
``_moments``, ``_table_posteriors`` and ``_table_values`` are their machinery.
"""
