"""See an executed notebook as a reader without a kernel or network does.

An offline nbconvert HTML page shows no widget (require.js and the widget manager come from
CDNs), so whatever a widget should leave behind has to be a separate, static output of its cell.
These helpers check exactly that::

    nb = execute_notebook(new_notebook([...]), tmp_path)
    html = export_html(nb, tmp_path / "nb.html")
    render_offline(page, html)   # every request but file:// (and data:) is aborted
    page.locator(".static-copy").wait_for()

Playwright, nbclient and nbconvert are imported lazily, so importing this module needs none.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .lab import DEFAULT_TIMEOUT_MS

if TYPE_CHECKING:
    from nbformat import NotebookNode
    from playwright.sync_api import Page, Route, WebSocketRoute

#: Per cell: nbclient can stall on notebooks with widgets (jupyter/nbclient#312).
CELL_TIMEOUT_S = 120
#: Schemes a local page may load: the file itself, its siblings, and inline data.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def execute_notebook(
    nb: NotebookNode,
    cwd: str | os.PathLike[str],
    *,
    timeout: int = CELL_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> NotebookNode:
    """Execute NB in place with nbclient (``python3`` kernel, in CWD) and return it.

    TIMEOUT is per cell. ENV is the kernel's whole environment (``lab.isolated_env(dir)`` keeps
    it out of ``~``). Widget state is saved in the notebook metadata, as nbclient does by
    default. Raises ``nbclient.exceptions.CellExecutionError`` when a cell raises.
    """
    import nbclient

    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    if env is None:
        client.execute()
    else:
        client.execute(env=env)
    return nb


def export_html(nb: NotebookNode, path: str | os.PathLike[str]) -> Path:
    """Convert NB with nbconvert's ``HTMLExporter`` (default ``lab`` template) into PATH."""
    from nbconvert import HTMLExporter

    body, _resources = HTMLExporter().from_notebook_node(nb)
    out = Path(path)
    out.write_text(body, encoding="utf-8")
    return out


def svg_data_uri(svg: str) -> str:
    """``data:image/svg+xml;base64,...`` for an SVG document (e.g. from vl_convert)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_offline(
    page: Page,
    html_path: str | os.PathLike[str],
    *,
    blocked: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_MS,
) -> Page:
    """Open the local file HTML_PATH in PAGE with the network cut off; return the page.

    Every request whose URL is not ``file:``/``data:``/``blob:`` is aborted (and web sockets
    never connect); their URLs are appended to BLOCKED when given. Returns once the page has
    fired ``load``, i.e. after the aborted scripts have failed.
    """
    sink = blocked if blocked is not None else []

    def _route(route: Route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            sink.append(url)
            route.abort("internetdisconnected")

    def _websocket(ws: WebSocketRoute) -> None:
        sink.append(ws.url)  # not connected to any server: nothing leaves the machine

    page.route("**/*", _route)
    if hasattr(page, "route_web_socket"):  # Playwright >= 1.48
        page.route_web_socket("**/*", _websocket)
    page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=timeout)
    return page
