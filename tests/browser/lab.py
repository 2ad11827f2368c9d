"""Drive JupyterLab 4 in headless Chromium from pytest.

The fixtures live in ``tests/browser/conftest.py`` (``jupyter_lab``, ``browser``, ``page``); this
module holds what they and the tests share: starting/stopping the server, and page helpers::

    from .lab import new_notebook, open_notebook, run_all_cells, wait_for

    def test_it(jupyter_lab, page):
        name = jupyter_lab.write_notebook(new_notebook(["import ipywidgets as w", "w.IntSlider()"]))
        open_notebook(page, jupyter_lab, name)
        run_all_cells(page)
        wait_for(page, ".widget-slider")

Playwright is imported lazily (and only for type checking here), so importing this module -- as
pytest's ``--doctest-modules`` does -- works without it.

What these helpers rely on (JupyterLab 4.6, checked in headless Chromium):

* notebook loaded: ``.jp-Notebook .jp-Cell``
* kernel ready: the status bar ``#jp-main-statusbar`` reads ``Python 3 (ipykernel) | Idle``
  (``| Busy`` while running, ``| Starting`` / ``| Connecting`` / ``| Unknown`` before). The cell
  execution indicator says "idle" while the kernel is still starting: do not trust it.
* a code cell has run: its ``.jp-InputPrompt`` reads ``[N]:`` (``[*]:`` while queued/running,
  ``[ ]:`` before).
* a cell raised: ``.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]`` with
  a traceback (error outputs render with that mime type).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

if TYPE_CHECKING:
    from nbformat import NotebookNode
    from playwright.sync_api import Locator, Page

#: Where the Debian ``chromium`` package puts the browser.
CHROMIUM_PATH = "/usr/bin/chromium"
#: Flags verified on these machines (see /work/shared/browser-testing.md).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Screenshots (on failure, and whatever tests save) go here; git ignores the folder.
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

# Generous timeouts: the CI box is a loaded 2-core machine. Milliseconds, as Playwright wants.
DEFAULT_TIMEOUT_MS = 60_000
KERNEL_TIMEOUT_MS = 120_000
RUN_TIMEOUT_MS = 180_000
SERVER_START_TIMEOUT_S = 90.0

KERNEL_STATUS_IDLE = "Python 3 (ipykernel) | Idle"
STATUSBAR = "#jp-main-statusbar"
NOTEBOOK_CELL = ".jp-Notebook .jp-Cell"
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

#: User settings written into the server's own JUPYTERLAB_SETTINGS_DIR.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # no "would you like news?" toast over the page, no requests to jupyter.org
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # attach every cell to the DOM, laid out, wherever it is scrolled: selectors just work
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def find_chromium() -> str | None:
    """The chromium executable to drive, or None when this machine has none."""
    if os.access(CHROMIUM_PATH, os.X_OK):
        return CHROMIUM_PATH
    return shutil.which("chromium")


def artifact_path(name: str) -> Path:
    """A path in ``tests/browser/artifacts/`` (created) for a screenshot or log named NAME."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR / name


# --------------------------------------------------------------------------------------- server


def new_notebook(cells: list[str]) -> NotebookNode:
    """A notebook of code cells, bound to the ``python3`` kernel (no kernel-picker dialog)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    _bind_kernel(nb)
    return nb


def _bind_kernel(nb: NotebookNode) -> None:
    nb.metadata.setdefault(
        "kernelspec",
        {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    )
    nb.metadata.setdefault("language_info", {"name": "python"})


@dataclass
class JupyterLab:
    """A running ``jupyter lab`` server (what the ``jupyter_lab`` fixture yields)."""

    #: ``http://127.0.0.1:PORT`` (no trailing slash)
    url: str
    token: str
    #: the server's root_dir: notebooks must be in here to be opened
    root_dir: Path
    #: the server's stdout+stderr
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def lab_url(self, name: str) -> str:
        """The URL that opens NAME (relative to root_dir) in a fresh (``reset``) workspace."""
        return f"{self.url}/lab/tree/{quote(name)}?reset&token={self.token}"

    def copy_notebook(self, src: str | os.PathLike[str], name: str | None = None) -> str:
        """Copy the notebook SRC into root_dir (as NAME, default its file name); return NAME."""
        name = name or Path(src).name
        dest = self.root_dir / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return name

    def write_notebook(self, nb: NotebookNode, name: str = "test.ipynb") -> str:
        """Write NB into root_dir as NAME (kernelspec set to python3 if missing); return NAME."""
        import nbformat

        _bind_kernel(nb)
        dest = self.root_dir / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest)
        return name

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API (e.g. ``api("GET", "/api/kernels")``); parsed JSON or None."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (e.g. between tests sharing the session server)."""
        for kernel in self.api("GET", "/api/kernels") or []:
            with contextlib.suppress(urllib.error.URLError, OSError):
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def log_text(self, tail: int = 20_000) -> str:
        """The last TAIL characters of the server log."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError as exc:
            return f"<no server log: {exc}>"

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server and every process it started (kernels run in their own sessions)."""
        proc = self.process
        if proc.poll() is None:
            children = _descendants(proc.pid)
            with contextlib.suppress(urllib.error.URLError, OSError):
                self.api("POST", "/api/shutdown")  # shuts the kernels down cleanly too
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait(10)
            _reap(children)
        else:
            _reap(_descendants(proc.pid))


#: a running server's class: :class:`JupyterLab` or a subclass (Notebook 7's)
ServerT = TypeVar("ServerT", bound=JupyterLab)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolated_env(base: Path) -> dict[str, str]:
    """os.environ with HOME and every Jupyter/IPython dir moved under BASE."""
    env = dict(os.environ)
    dirs = {
        "HOME": "home",
        "IPYTHONDIR": "ipython",
        "JUPYTER_CONFIG_DIR": "jupyter-config",
        "JUPYTER_DATA_DIR": "jupyter-data",
        "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
    }
    for var, sub in dirs.items():
        path = base / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["OMP_NUM_THREADS"] = "1"
    # one cache for every test kernel: the explorer keeps its offline vega bundle there (7 s to make)
    cache = Path(tempfile.gettempdir()) / "mlprobe-browser-tests-cache"
    cache.mkdir(exist_ok=True)
    env["XDG_CACHE_HOME"] = str(cache)
    env["JUPYTER_PLATFORM_DIRS"] = "1"  # silences jupyter_core's deprecation warning
    env["PYTHONUNBUFFERED"] = "1"
    # kernels come from this interpreter's environment, even when it is not activated
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


class _PortTakenError(RuntimeError):
    pass


def start_jupyter_lab(base_dir: Path, *, timeout: float = SERVER_START_TIMEOUT_S) -> JupyterLab:
    """Start ``python -m jupyter lab`` with everything under BASE_DIR; return when it answers.

    Raises RuntimeError (with the server log) when it exits or does not answer within TIMEOUT s.
    Retries on another port if something took the free port it picked in the meantime.
    """
    return start_jupyter_server(base_dir, app="lab", server_class=JupyterLab, timeout=timeout)


#: options of ``jupyter lab`` only (Notebook 7's app has no LabApp)
LAB_OPTIONS = [
    "--LabApp.news_url=",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    # window.jupyterapp, for execute_command(); the UI is still what the tests drive
    "--LabApp.expose_app_in_browser=True",
]


def start_jupyter_server(
    base_dir: Path,
    *,
    app: Literal["lab", "notebook"],
    server_class: type[ServerT],
    timeout: float = SERVER_START_TIMEOUT_S,
) -> ServerT:
    """Start ``python -m jupyter APP`` (JupyterLab, or Notebook 7) under BASE_DIR, as
    :func:`start_jupyter_lab` says; ``server_class`` holds the running server."""
    for attempt in range(3):
        try:
            return _start_server(base_dir / f"{app}-{attempt}", app, server_class, timeout)
        except _PortTakenError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start_server(base_dir: Path, app: str, server_class: type[ServerT], timeout: float) -> ServerT:
    env = isolated_env(base_dir)
    # Notebook 7 reads the user settings from JUPYTERLAB_SETTINGS_DIR too
    settings_dir = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    root_dir = base_dir / "root"
    root_dir.mkdir(parents=True, exist_ok=True)
    log_path = base_dir / f"jupyter-{app}.log"
    token = secrets.token_hex(16)
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        app,
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.terminals_enabled=False",
        *(LAB_OPTIONS if app == "lab" else []),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can signal all of it
        )
    server = server_class(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root_dir=root_dir,
        log_path=log_path,
        process=proc,
    )
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        if proc.poll() is not None:
            error = _PortTakenError if "already in use" in server.log_text() else RuntimeError
            raise error(
                f"jupyter {app} exited with code {proc.returncode} before answering.\n"
                f"command: {' '.join(cmd)}\n--- server log ({log_path}) ---\n{server.log_text()}"
            )
        try:
            server.api("GET", "/api/status", timeout=5)
            return server
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last_error = exc
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"jupyter {app} did not answer /api/status within {timeout:.0f} s "
                f"(last error: {last_error!r}).\n"
                f"command: {' '.join(cmd)}\n--- server log ({log_path}) ---\n{server.log_text()}"
            )
        time.sleep(0.5)


def _descendants(pid: int) -> list[int]:
    """PIDs of every process below PID (Linux /proc; empty elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..."; comm may contain spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.parent.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2 :].split()[0] != "Z"


def _reap(pids: list[int], timeout: float = 10.0) -> None:
    """Terminate (then kill) whichever of PIDS still run: kernels left by a server that died."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid in pids if _alive(pid)]
        if not alive:
            return
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(pid) for pid in alive):
            time.sleep(0.2)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


# ----------------------------------------------------------------------------------------- page


def open_notebook(
    page: Page, lab: JupyterLab, name: str, timeout: float = DEFAULT_TIMEOUT_MS
) -> Page:
    """Open NAME (relative to the lab's root_dir) in a fresh workspace; wait for its cells."""
    page.goto(lab.lab_url(name), wait_until="domcontentloaded", timeout=timeout)
    page.locator(NOTEBOOK_CELL).first.wait_for(state="visible", timeout=timeout)
    return page


def kernel_status(page: Page) -> str:
    """The status bar's text, e.g. ``'1\\nPython 3 (ipykernel) | Idle\\nMode: Command\\n...'``."""
    return str(page.evaluate(f"() => document.querySelector({STATUSBAR!r})?.innerText ?? ''"))


def wait_kernel_idle(page: Page, timeout: float = KERNEL_TIMEOUT_MS) -> None:
    """Wait until the status bar reads ``Python 3 (ipykernel) | Idle``."""
    try:
        page.wait_for_function(
            "([sel, text]) => (document.querySelector(sel)?.textContent ?? '').includes(text)",
            arg=[STATUSBAR, KERNEL_STATUS_IDLE],
            timeout=timeout,
            polling=250,
        )
    except Exception as exc:
        raise AssertionError(
            f"kernel not idle after {timeout / 1000:.0f} s; status bar: {kernel_status(page)!r}"
        ) from exc


def execute_command(
    page: Page, command: str, args: dict[str, Any] | None = None, *, wait: bool = False
) -> Any:
    """Run a JupyterLab command by id (``notebook:run-all-cells``, ``kernelmenu:restart``...).

    Uses ``window.jupyterapp`` (the server runs with ``expose_app_in_browser``). By default
    returns at once; with WAIT, waits for the command's promise (with no timeout: a command
    such as run-all resolves only when its cells finish) and returns its JSON-able result.
    """
    if not wait:
        page.evaluate(
            "([id, args]) => { window.jupyterapp.commands.execute(id, args); }",
            [command, args or {}],
        )
        return None
    return page.evaluate(
        """async ([id, args]) => {
            const result = await window.jupyterapp.commands.execute(id, args);
            try { return JSON.parse(JSON.stringify(result ?? null)); } catch { return null; }
        }""",
        [command, args or {}],
    )


def run_all_cells(
    page: Page,
    timeout: float = RUN_TIMEOUT_MS,
    *,
    check_errors: bool = True,
    via_palette: bool = False,
) -> None:
    """Run every cell of the open notebook and wait until they have all run.

    Waits for the kernel to be idle, clears all outputs (so stale ``[N]:`` prompts from a saved
    notebook cannot pass for fresh ones), then runs ``notebook:run-all-cells`` -- or, with
    VIA_PALETTE, types "Run All Cells" into the command palette (Control+Shift+C) and clicks
    the item, as a user would. Waits until every code cell's prompt reads ``[N]:`` (or a cell
    raised and nothing is left running) and the kernel is idle. With CHECK_ERRORS, raises
    AssertionError with the traceback text when a cell raised.
    """
    wait_kernel_idle(page, timeout)
    execute_command(page, "notebook:clear-all-cell-outputs", wait=True)
    if via_palette:
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+Shift+C")
        palette = page.locator(".lm-CommandPalette-input")
        palette.wait_for(state="visible")
        palette.fill("Run All Cells")
        # click the exact command: Enter would take whatever ranks first
        page.locator('.lm-CommandPalette-item[data-command="notebook:run-all-cells"]').click()
    else:
        execute_command(page, "notebook:run-all-cells")
    wait_cells_executed(page, timeout)
    wait_kernel_idle(page, timeout)
    if check_errors:
        errors = output_errors(page)
        if errors:
            raise AssertionError("a notebook cell raised:\n" + "\n---\n".join(errors))


def wait_cells_executed(page: Page, timeout: float = RUN_TIMEOUT_MS) -> None:
    """Wait until every code cell's prompt shows its count (``[3]:``), or a cell raised.

    "Raised" means: an error output is shown and no prompt reads ``[*]:`` any more (JupyterLab
    stops a run at the first error, leaving later cells unrun).
    """
    try:
        page.wait_for_function(
            """([errorSel]) => {
                const prompts = [...document.querySelectorAll(
                    '.jp-Notebook .jp-CodeCell .jp-InputArea .jp-InputPrompt')]
                    .map(p => p.textContent);
                if (prompts.length === 0) return false;
                if (prompts.every(t => /\\[\\d+\\]/.test(t))) return true;
                return !prompts.some(t => t.includes('*'))
                    && document.querySelector(errorSel) !== null;
            }""",
            arg=[ERROR_OUTPUT],
            timeout=timeout,
            polling=250,
        )
    except Exception as exc:
        prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        raise AssertionError(
            f"cells not all executed after {timeout / 1000:.0f} s; prompts: {prompts}; "
            f"status bar: {kernel_status(page)!r}; errors: {output_errors(page)}"
        ) from exc


def output_errors(page: Page) -> list[str]:
    """The text of every error (traceback) output shown in the notebook."""
    texts = page.locator(ERROR_OUTPUT).all_inner_texts()
    return [text for text in texts if "Error" in text or "Traceback" in text]


def wait_for(
    page: Page,
    selector: str,
    timeout: float = DEFAULT_TIMEOUT_MS,
    state: Literal["attached", "detached", "hidden", "visible"] = "visible",
) -> Locator:
    """Wait for the first match of SELECTOR to reach STATE (visible/attached/...); return it."""
    locator = page.locator(selector).first
    locator.wait_for(state=state, timeout=timeout)
    return locator


def wait_for_text(
    page: Page, selector: str, text: str, timeout: float = DEFAULT_TIMEOUT_MS
) -> Locator:
    """Wait until the first match of SELECTOR is visible and its text contains TEXT."""
    locator = wait_for(page, selector, timeout)
    try:
        page.wait_for_function(
            "([sel, text]) => (document.querySelector(sel)?.textContent ?? '').includes(text)",
            arg=[selector, text],
            timeout=timeout,
            polling=200,
        )
    except Exception as exc:
        actual = locator.text_content()
        raise AssertionError(
            f"{selector!r} never contained {text!r} within {timeout / 1000:.0f} s; "
            f"it reads {actual!r}"
        ) from exc
    return locator


def cell_output(page: Page, index: int) -> Locator:
    """The output area of the INDEX-th cell (0-based, counting all cells)."""
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``tests/browser/artifacts/NAME`` and return its path."""
    path = artifact_path(name)
    page.screenshot(path=str(path), full_page=True)
    return path


# ------------------------------------------------------------------------------ layout and speed

_OVERFLOW_JS = """([rootSel, scrollers]) => {
    const root = document.querySelector(rootSel);
    const area = root.closest('.jp-OutputArea-output') ?? root.parentElement;
    const rootBox = root.getBoundingClientRect(), areaBox = area.getBoundingClientRect();
    const right = Math.min(rootBox.right, areaBox.right);
    const left = Math.max(rootBox.left, areaBox.left);
    const name = (e) => {
        const classes = [...(e.classList ?? [])]
            .filter(c => /^(mlprobe-|widget-|lm-TabBar-tab)/.test(c)).slice(0, 3);
        const text = (e.textContent ?? '').trim().replace(/\\s+/g, ' ').slice(0, 40);
        return e.tagName.toLowerCase() + classes.map(c => '.' + c).join('')
            + (text ? ` "${text}"` : '');
    };
    const shown = (e) => {
        const s = getComputedStyle(e);
        return s.display !== 'none' && s.visibility !== 'hidden' && e.getClientRects().length > 0;
    };
    const controls = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'OPTION']);
    const problems = [];
    const walk = (e, clipped) => {
        for (const child of e.children) {
            if (!shown(child)) continue;
            const box = child.getBoundingClientRect();
            if (!clipped && box.width > 0 && (box.right > right + 0.5 || box.left < left - 0.5)) {
                problems.push(`${name(child)} spans [${Math.round(box.left)}, `
                    + `${Math.round(box.right)}], outside [${Math.round(left)}, ${Math.round(right)}]`);
            }
            if (child instanceof SVGElement) continue;
            const style = getComputedStyle(child);
            const clips = style.overflowX !== 'visible';
            const hidden = child.scrollWidth - child.clientWidth;
            // a clipped text is fine where its full text shows on hover (a long slice name)
            if (clips && hidden > 1 && !controls.has(child.tagName) && !child.title
                    && !scrollers.some(sel => child.matches(sel))) {
                problems.push(`${name(child)} hides ${hidden} of its ${child.scrollWidth} px`);
            }
            walk(child, clipped || clips);
        }
    };
    walk(root, false);
    return {left: Math.round(left), right: Math.round(right), problems};
}"""


def overflow_problems(page: Page, root: str, *, scrollers: tuple[str, ...] = ()) -> dict[str, Any]:
    """What inside ROOT (a selector) sticks out of it or of its output area, or is cut off.

    Every shown descendant must lie within the horizontal extent of ROOT and of the output
    area around it; an element that clips its content horizontally (overflow other than
    visible: a button's or tab's label, a box) must show all of it -- unless it has a
    ``title`` (the full text on hover) or matches one of SCROLLERS (boxes meant to scroll,
    such as a table of data rows). Form controls (input, select, textarea) are left out:
    their text scrolls by design. Returns ``{"left", "right", "problems": [...]}``.
    """
    return dict(page.evaluate(_OVERFLOW_JS, [root, list(scrollers)]))


_TIME_CLICK_JS = """async ([target, condition, timeout]) => {
    const done = new Function('return (' + condition + ');');
    const element = document.querySelector(target);
    if (element === null) throw new Error('nothing matches ' + target);
    const started = performance.now();
    if (element.tagName === 'SELECT') {
        element.dispatchEvent(new Event('change', {bubbles: true}));
    } else if (element.classList.contains('lm-TabBar-tab')) {
        // lumino switches tabs on pointerdown, not on click
        const box = element.getBoundingClientRect();
        const at = {bubbles: true, cancelable: true, button: 0, isPrimary: true,
                    clientX: box.left + box.width / 2, clientY: box.top + box.height / 2};
        element.dispatchEvent(new PointerEvent('pointerdown', at));
        document.dispatchEvent(new PointerEvent('pointerup', at));
    } else {
        element.click();
    }
    while (!done()) {
        if (performance.now() - started > timeout) throw new Error('no change after ' + timeout + ' ms');
        await new Promise(resolve => requestAnimationFrame(resolve));
    }
    // the frame in which the change is painted
    await new Promise(resolve => requestAnimationFrame(resolve));
    return performance.now() - started;
}"""


def time_click(page: Page, target: str, condition: str, timeout: float = 30_000) -> float:
    """Milliseconds, measured in the page, from a click on TARGET to CONDITION (a JS expression).

    TARGET is a selector; a ``<select>`` is not clicked but told its (already set) value
    changed, as picking an option does; a JupyterLab tab gets the pointer events it reacts to. CONDITION is polled every animation frame; the time
    includes the frame that paints it.
    """
    return float(page.evaluate(_TIME_CLICK_JS, [target, condition, timeout]))
