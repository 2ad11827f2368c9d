"""Slices: predicates, their parser, encoded columns, masks and the groups of by=."""
