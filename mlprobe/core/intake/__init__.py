"""What a probe takes in: tables, labels, predictions and scores, checked once."""
