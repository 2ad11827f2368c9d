"""How rows fall into groups, and the per-group sums metrics read."""
