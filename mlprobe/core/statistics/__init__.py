"""Intervals, tests and rank statistics: every uncertainty mlprobe reports."""
