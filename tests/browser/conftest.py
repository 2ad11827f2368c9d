"""Fixtures for the browser tests: a JupyterLab server, headless Chromium, a page per test.

Every test in this directory needs chromium and the Jupyter/Playwright stack. When something is
missing they are skipped with the reason -- unless ``MLPROBE_REQUIRE_BROWSER=1`` (CI sets it),
then they fail, so CI cannot pass by silently skipping them.

Fixtures:

* ``jupyter_lab`` (session): a running :class:`lab.JupyterLab` -- ``url``, ``token``,
  ``root_dir``, ``copy_notebook(src, name=None)``, ``write_notebook(nb, name)``, ``api(...)``.
* ``browser`` (session): Playwright's Chromium (``/usr/bin/chromium``, headless).
* ``page`` (function): a fresh context and page, 1400x1000; on failure a screenshot and the
  browser console go to ``tests/browser/artifacts/<test>.png`` / ``.console.txt``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .lab import (
    CHROMIUM_FLAGS,
    DEFAULT_TIMEOUT_MS,
    JupyterLab,
    artifact_path,
    find_chromium,
    start_jupyter_lab,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

REQUIRE_ENV = "MLPROBE_REQUIRE_BROWSER"
#: importable modules the browser tests need (the dev extra provides them)
REQUIRED_MODULES = (
    "playwright",
    "jupyterlab",
    "ipykernel",
    "ipywidgets",
    "anywidget",
    "altair",
    "nbformat",
    "nbclient",
    "nbconvert",
    "vl_convert",
)
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}


def _missing() -> str | None:
    problems = []
    if find_chromium() is None:
        problems.append("no chromium (/usr/bin/chromium, or `chromium` on PATH)")
    modules = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if modules:
        problems.append(f"not importable: {', '.join(modules)}")
    return "; ".join(problems) or None


@pytest.fixture(scope="session", autouse=True)
def _browser_stack() -> None:
    """Skip (or, with MLPROBE_REQUIRE_BROWSER=1, fail) every test here if the stack is missing."""
    problem = _missing()
    if problem is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"browser tests cannot run ({REQUIRE_ENV}=1): {problem}", pytrace=False)
    pytest.skip(f"browser tests need chromium and playwright/jupyterlab: {problem}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so ``page`` can tell whether the test failed."""
    report = yield
    setattr(item, f"_browser_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def jupyter_lab(
    _browser_stack: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """A JupyterLab server for the whole session, with its own HOME and Jupyter dirs."""
    lab = start_jupyter_lab(tmp_path_factory.mktemp("jupyter-lab"))
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(autouse=True)
def _shutdown_kernels(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used ``jupyter_lab``, shut its kernels down (they pile up otherwise)."""
    yield
    if "jupyter_lab" in request.fixturenames:
        request.getfixturevalue("jupyter_lab").shutdown_kernels()


@pytest.fixture(scope="session")
def browser(_browser_stack: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Chromium driven by Playwright's sync API (no ``playwright install`` needed)."""
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env: dict[str, str | float | bool] = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=find_chromium(),
            headless=True,
            args=CHROMIUM_FLAGS,
            env=env,
            timeout=DEFAULT_TIMEOUT_MS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new page (own context, 1400x1000) per test; screenshot + console saved on failure."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    try:
        yield page
    finally:
        node = request.node
        failed = any(
            getattr(node, f"_browser_report_{when}", None) is not None
            and getattr(node, f"_browser_report_{when}").failed
            for when in ("setup", "call")
        )
        if failed:
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.nodeid.split("::", 1)[-1])
            try:
                page.screenshot(path=str(artifact_path(f"{stem}.png")), full_page=True)
            except Exception as exc:  # the page may be gone; the console log still helps
                console.append(f"[fixture] screenshot failed: {exc}")
            Path(artifact_path(f"{stem}.console.txt")).write_text("\n".join(console) + "\n")
        context.close()
