"""The per-row numbers metrics sum per group, described by name.

In memory a metric sums numpy arrays; an engine that keeps the rows (a SQL
database) cannot run that numpy code, so every sum a metric asks for also
carries a :class:`RowTerm`: what is summed, in words an engine can compile.
The two must agree; the engine tests check that they do.

Examples
--------
>>> RowTerm("abs_error", power=2)
RowTerm(quantity='abs_error', power=2, versus=None, centered=False, times=None)
>>> str(RowTerm("squared_error", versus="v1"))
'(squared_error - squared_error[v1])'
>>> str(RowTerm("target", power=2, centered=True, times="squared_error"))
'(target - center)^2 * squared_error'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QUANTITIES", "RowTerm"]

#: Per-row quantities of one model, by name:
#: ``error`` prediction - target; ``abs_error``; ``squared_error``;
#: ``target`` the target minus its mean over all rows (kept well conditioned);
#: ``log_loss`` -log p(true class); ``brier`` squared error of the probabilities.
QUANTITIES = ("error", "abs_error", "squared_error", "target", "log_loss", "brier")


@dataclass(frozen=True)
class RowTerm:
    """``(quantity - other) ** power * times``, summed over each group's rows.

    Parameters
    ----------
    quantity : str
        One of :data:`QUANTITIES`, of the model the statistics are for.
    power : int
        The power the (differenced or centered) quantity is raised to.
    versus : str, optional
        Another model: the same quantity of that model is subtracted row by row
        first (paired differences of two models on the same rows).
    centered : bool
        The quantity minus the group's own center (a second pass: the centers
        come from a first pass over the group).
    times : str, optional
        A quantity the powered term is multiplied by (a cross moment).
    """

    quantity: str
    power: int = 1
    versus: str | None = None
    centered: bool = False
    times: str | None = None

    def __post_init__(self) -> None:
        for name in (self.quantity, self.times):
            if name is not None and name not in QUANTITIES:
                raise ValueError(f"unknown row quantity {name!r}; known: {list(QUANTITIES)}")

    def __str__(self) -> str:
        text = self.quantity
        if self.versus is not None:
            text = f"({text} - {self.quantity}[{self.versus}])"
        if self.centered:
            text = f"({text} - center)"
        if self.power != 1:
            text += f"^{self.power}"
        if self.times is not None:
            text += f" * {self.times}"
        return text
