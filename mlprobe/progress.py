"""A progress bar for long searches: tqdm's notebook-aware bar, shown only when it is worth it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

__all__ = ["progress_bar"]

#: seconds a task runs before its bar appears (show=None)
DELAY = 1.0


@contextlib.contextmanager
def progress_bar(
    total: int, description: str, *, show: bool | None
) -> Iterator[Callable[[int], object]]:
    """Yield ``tick(done)``; a bar appears after ``DELAY`` seconds (``show=None``), always or never.

    Without tqdm installed, ``tick`` does nothing.
    """
    if show is False:
        yield lambda done: None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield lambda done: None
        return
    bar = tqdm(total=total, desc=description, delay=0.0 if show else DELAY, leave=False)

    def tick(done: int) -> None:
        bar.update(done - bar.n)

    try:
        yield tick
    finally:
        bar.close()
