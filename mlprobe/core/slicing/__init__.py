"""Slices: predicates, their parser, slices and the groups of ``by=``.

Modules other layers read: ``predicates``, ``parser``, ``slices``, ``groups``. The
underscored ones are this package's own machinery: encoded columns (``_encoding``), masks
(``_masks``, ``_bitplanes``, ``_mask_cache``), dates (``_dates``) and the bins of slice
discovery (``_discretize``).
"""
