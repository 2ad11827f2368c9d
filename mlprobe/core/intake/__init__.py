"""What a probe takes in: tables, labels, predictions and scores, checked once (``labels``,
``model_arrays``; ``_frames`` and ``_outputs`` read the user's inputs)."""
