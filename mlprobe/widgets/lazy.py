"""Panes that redraw only while they are shown: a hidden tab costs nothing."""

from __future__ import annotations

from typing import Any

__all__ = ["LazyPane"]


class LazyPane:
    """Subclasses implement :meth:`draw`; call :meth:`invalidate` when what they show changed."""

    def __init__(self) -> None:
        self.visible = False
        self.stale = True

    def set_visible(self, visible: bool) -> None:
        """Called by the explorer when the pane's tab is shown or hidden."""
        self.visible = visible
        if visible and self.stale:
            self.refresh()

    def invalidate(self, _: Any = None) -> None:
        """What the pane shows changed: redraw now if shown, else when next shown."""
        self.stale = True
        if self.visible:
            self.refresh()

    def refresh(self) -> None:
        """Redraw now."""
        self.stale = False
        self.draw()

    def draw(self) -> None:
        raise NotImplementedError
