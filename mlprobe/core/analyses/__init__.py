"""The analyses a probe answers: breakdown, comparison, confusion, slice discovery."""
