"""Drive Jupyter Notebook 7 (the ``notebook`` package) in headless Chromium from pytest.

Notebook 7 is built from JupyterLab 4's components, so most of :mod:`.lab` applies as is
(``new_notebook``, ``wait_for``, ``output_errors``, ``screenshot``, ``overflow_problems``...).
What differs, and lives here:

* the server: ``python -m jupyter notebook`` (``JupyterNotebookApp``: no ``LabApp`` options such
  as ``news_url``); a notebook opens at ``/notebooks/NAME.ipynb?token=...``;
* kernel ready: there is no status bar. The notebook toolbar shows the kernel's name
  (``.jp-KernelName``: ``Python 3 (ipykernel)``) and, right of it, a circle
  (``.jp-Notebook-ExecutionIndicator``) whose ``data-status`` is the kernel's status
  (``idle``; ``busy`` while running; ``initializing`` / ``connecting`` / ``unknown`` while it
  starts). The circle says ``idle`` before any kernel too (the name reads ``No Kernel`` then),
  so both must agree. (The top bar's ``.jp-NotebookKernelStatus`` only flashes "Kernel
  Connecting" and fades: no use.)
* run all: the menu bar (``#jp-MainMenu``) *Run > Run All Cells* (the item's command is
  ``runmenu:run-all``), clicked as a user would.

Notebook 7.6.5's page logs one ``TypeError: Cannot read properties of undefined (reading
'schema')`` (from ``notebook_core``) on every load, even for a notebook of ``1+1`` and with no
user settings: it is Notebook's own and harmless, not something under test.

Playwright is imported lazily (and only for type checking here), as in :mod:`.lab`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from .lab import (
    DEFAULT_TIMEOUT_MS,
    KERNEL_TIMEOUT_MS,
    NOTEBOOK_CELL,
    RUN_TIMEOUT_MS,
    SERVER_START_TIMEOUT_S,
    JupyterLab,
    output_errors,
    start_jupyter_server,
    wait_cells_executed,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: the notebook toolbar's kernel name and status circle (``data-status="idle"`` when ready)
KERNEL_NAME = ".jp-NotebookPanel-toolbar .jp-KernelName"
KERNEL_INDICATOR = ".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator"
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"
MENU_BAR = "#jp-MainMenu"


@dataclass
class Notebook7(JupyterLab):
    """A running ``jupyter notebook`` (7.x) server: a :class:`.lab.JupyterLab` with its own URLs."""

    def notebook_url(self, name: str) -> str:
        """The URL that opens NAME (relative to root_dir) in Notebook 7's notebook view."""
        return f"{self.url}/notebooks/{quote(name)}?token={self.token}"


def notebook_version() -> str | None:
    """The installed ``notebook`` package's version, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("notebook")
    except PackageNotFoundError:
        return None


def start_notebook7(base_dir: Path, *, timeout: float = SERVER_START_TIMEOUT_S) -> Notebook7:
    """Start ``python -m jupyter notebook`` with everything under BASE_DIR; return when it answers.

    As :func:`.lab.start_jupyter_lab`: 127.0.0.1, a free port, a fixed token, ``--allow-root``,
    HOME and every Jupyter dir isolated, the same user settings (no news, no windowing).
    Raises RuntimeError (with the server log) when it exits or does not answer within TIMEOUT s.
    """
    return start_jupyter_server(base_dir, app="notebook", server_class=Notebook7, timeout=timeout)


# ----------------------------------------------------------------------------------------- page


def open_notebook7(
    page: Page, server: Notebook7, name: str, timeout: float = DEFAULT_TIMEOUT_MS
) -> Page:
    """Open NAME (relative to the server's root_dir) in Notebook 7; wait for its cells."""
    page.goto(server.notebook_url(name), wait_until="domcontentloaded", timeout=timeout)
    page.locator(NOTEBOOK_CELL).first.wait_for(state="visible", timeout=timeout)
    return page


def kernel_state(page: Page) -> str:
    """The toolbar's kernel name and status, e.g. ``'Python 3 (ipykernel) | idle'``."""
    return str(
        page.evaluate(
            """([name, circle]) => (document.querySelector(name)?.textContent ?? '').trim()
                + ' | ' + (document.querySelector(circle)?.dataset.status ?? '')""",
            [KERNEL_NAME, KERNEL_INDICATOR],
        )
    )


def wait_kernel_idle7(page: Page, timeout: float = KERNEL_TIMEOUT_MS) -> None:
    """Wait until the toolbar names the python3 kernel and its status circle says ``idle``."""
    try:
        page.wait_for_function(
            """([name, circle, display]) =>
                (document.querySelector(name)?.textContent ?? '').trim() === display
                && document.querySelector(circle)?.dataset.status === 'idle'""",
            arg=[KERNEL_NAME, KERNEL_INDICATOR, KERNEL_DISPLAY_NAME],
            timeout=timeout,
            polling=250,
        )
    except Exception as exc:
        raise AssertionError(
            f"kernel not idle after {timeout / 1000:.0f} s; toolbar: {kernel_state(page)!r}"
        ) from exc


def run_all_cells7(
    page: Page, timeout: float = RUN_TIMEOUT_MS, *, check_errors: bool = True
) -> None:
    """Run every cell through the menu bar's *Run > Run All Cells*; wait until they have run.

    Waits for the kernel to be idle first, and afterwards until every code cell's prompt reads
    ``[N]:`` (or a cell raised) and the kernel is idle again. With CHECK_ERRORS, raises
    AssertionError with the traceback text when a cell raised.
    """
    wait_kernel_idle7(page, timeout)
    page.locator(f"{MENU_BAR} .lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    # the item runs "runmenu:run-all" (the menu's own id for notebook:run-all-cells)
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    page.locator(".lm-Menu .lm-Menu-item", has=label).click()
    try:
        wait_cells_executed(page, timeout)
    except AssertionError as exc:  # its message quotes Lab's status bar, which is not here
        raise AssertionError(f"{exc}; Notebook 7 toolbar: {kernel_state(page)!r}") from exc
    wait_kernel_idle7(page, timeout)
    if check_errors:
        errors = output_errors(page)
        if errors:
            raise AssertionError("a notebook cell raised:\n" + "\n---\n".join(errors))
