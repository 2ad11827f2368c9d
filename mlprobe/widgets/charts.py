"""Live charts: offline, fast to redraw, as wide as their pane, clicks sent back to Python.

A chart area is an ``altair.JupyterChart`` whose JavaScript is a small module of
ours, plus a hidden :class:`VegaLibrary` widget that carries vega, vega-lite
and vega-embed (~930 KB, bundled offline by vl-convert). Every chart area
shows the *same* library widget, so a page -- and a saved notebook's widget
state -- holds the bundle once, however many charts the explorer draws
(Altair's offline mode puts it into every chart widget: 4 MB for the explorer).

A redraw sends a plain Vega-Lite specification to the widget; the Altair
chart object is built once, only to declare the click selection.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import altair as alt
import anywidget
import ipywidgets as w
import pandas as pd
import traitlets

from mlprobe.render.charts import fit_container_width
from mlprobe.spec.files import write_atomic

__all__ = ["ChartView", "VegaLibrary", "clicked_points", "vega_library"]

#: the page-wide slot through which the library hands vega-embed to the charts
_SLOT = "__mlprobeVegaEmbed"
#: bumped when the contract between the two modules below changes
_PROTOCOL = 1
#: class of a chart widget drawn as wide as its area
FIT_CLASS = "mlprobe-fit-width"

_SLOT_JS = f"""
function mlprobeVegaSlot() {{
    const slot = (globalThis[{_SLOT!r}] ??= {{}});
    slot.promise ??= new Promise((resolve) => {{ slot.resolve = resolve; }});
    return slot;
}}
"""

#: the library's module (bundled with vega-embed by vl-convert): fills the slot, draws nothing
_LIBRARY_JS = (
    _SLOT_JS
    + f"""
mlprobeVegaSlot().resolve({{ vegaEmbed, protocol: {_PROTOCOL} }});
export default {{ render() {{}} }};
"""
)

#: the chart's module: altair's JupyterChart protocol (spec, embed_options, _vl_selections)
#: with vega-embed taken from the library, and a width that follows the chart's element
_CHART_JS = (
    _SLOT_JS
    + """
function clean(data) {
    return JSON.parse(JSON.stringify(data ?? null));
}

// calls fn with the latest arguments, at most once per `wait` ms
function throttle(fn, wait) {
    let timer = null;
    let latest = [];
    return (...args) => {
        latest = args;
        if (timer === null) {
            timer = setTimeout(() => { timer = null; fn(...latest); }, wait);
        }
    };
}

async function render({ model, el }) {
    const { vegaEmbed } = await mlprobeVegaSlot().promise;
    let result = null;
    let drawn = 0;

    // vega-lite's "container" width is read when the view starts (often before the element is
    // laid out: 0) and on window resizes only; follow the element's own width instead
    const fitWidth = () => {
        const view = result?.view;
        const box = view?.container();
        if (!box || model.get("spec")?.width !== "container") return;
        const width = box.clientWidth;
        if (width > 0 && view.signal("width") !== width) {
            view.signal("width", width).runAsync();
        }
    };
    const observer = new ResizeObserver(fitWidth);
    observer.observe(el);

    const reembed = async () => {
        const ticket = ++drawn;
        const spec = structuredClone(model.get("spec"));
        result?.finalize();
        result = null;
        if (spec == null) {
            el.replaceChildren();
            return;
        }
        const options = structuredClone(model.get("embed_options")) ?? undefined;
        let embedded;
        try {
            embedded = await vegaEmbed(el, spec, options);
        } catch (error) {
            el.innerHTML = '<div style="color:red;"><p>JavaScript Error: '
                + String(error.message).replace(/[<>&]/g, "") + "</p></div>";
            return;
        }
        if (ticket !== drawn) {  // a newer spec arrived while this one was drawn
            embedded.finalize();
            return;
        }
        result = embedded;
        fitWidth();
        const wait = model.get("debounce_wait") ?? 10;
        const selections = {};
        for (const name of Object.keys(model.get("_vl_selections") ?? {})) {
            const report = (_, value) => {
                const all = clean(model.get("_vl_selections") ?? {});
                all[name] = { value: clean(value), store: clean(embedded.view.data(`${name}_store`)) };
                model.set("_vl_selections", all);
                model.save_changes();
            };
            embedded.view.addSignalListener(name, throttle(report, wait));
            selections[name] = {
                value: clean(embedded.view.signal(name) ?? {}),
                store: clean(embedded.view.data(`${name}_store`) ?? []),
            };
        }
        model.set("_vl_selections", selections);
        model.save_changes();
    };

    model.on("change:spec", reembed);
    model.on("change:embed_options", reembed);
    await reembed();
    return () => {
        observer.disconnect();
        model.off("change:spec", reembed);
        model.off("change:embed_options", reembed);
        result?.finalize();
    };
}

export default { render };
"""
)

CHART_CSS = f"""
.{FIT_CLASS}.vega-embed {{ display: block; width: 100%; min-width: 0; }}
.vega-embed {{ overflow: visible; }}
"""


class VegaLibrary(anywidget.AnyWidget):
    """A widget that draws nothing and loads vega-embed into the page for every chart area.

    Use :func:`vega_library`: one instance per kernel is enough (each chart area shows it).
    """

    _esm = traitlets.Unicode("").tag(sync=True)

    def __init__(self) -> None:
        super().__init__(_esm=_library_bundle(), layout=w.Layout(display="none"))
        self.add_class("mlprobe-vega-library")


class _LiveChart(alt.JupyterChart):
    """Altair's JupyterChart with our small module instead of a vega bundle of its own."""

    _esm = _CHART_JS
    _css = CHART_CSS


_library: VegaLibrary | None = None


def vega_library() -> VegaLibrary:
    """The kernel's :class:`VegaLibrary` (created on first use; again if it was closed)."""
    global _library
    if _library is None or _library.comm is None:
        _library = VegaLibrary()
    return _library


def _library_bundle() -> str:
    """vega-embed and our library module as one offline ES module (cached: bundling takes 7 s).

    Kept in the user's cache directory, keyed by the altair and vl-convert versions, and read
    back in later kernels.
    """
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    cached = _bundle_cache_path()
    if cached is not None and cached.is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return cached.read_text(encoding="utf-8")
    bundle: str = vl_convert.javascript_bundle(_LIBRARY_JS, vl_version=vl_version_for_vl_convert())
    if cached is not None:
        with contextlib.suppress(OSError):  # a read-only home only costs the next kernel time
            write_atomic(cached, bundle)
    return bundle


def _bundle_cache_path() -> Path | None:
    try:
        import vl_convert
    except ImportError:
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlprobe"
    version = getattr(vl_convert, "__version__", "unknown")
    return root / f"vega-library{_PROTOCOL}-altair{alt.__version__}-vlconvert{version}.js"


def clicked_points(vl_selections: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The points of selection ``name`` in a JupyterChart's raw selection state."""
    signal = (vl_selections.get(name) or {}).get("value") or {}
    points = signal.get("vlPoint", {}).get("or", []) if isinstance(signal, dict) else []
    return [dict(p) for p in points]


def _placeholder(selection: str | None) -> alt.Chart:
    """A tiny chart declaring the point selection ``selection`` (so the widget reports it)."""
    chart = alt.Chart(pd.DataFrame({"x": [0]})).mark_point(opacity=0).encode(x="x:Q")
    if selection is not None:
        chart = chart.add_params(alt.selection_point(name=selection, fields=["x"]))
    return chart


class ChartView:
    """One chart area: :meth:`show` a new specification; ``on_click`` gets the clicked points.

    Specifications that may stretch (breakdown and comparison charts, see
    :func:`mlprobe.render.charts.fit_container_width`) are drawn as wide as the area.

    Parameters
    ----------
    selection : str, optional
        Name of the point selection the shown specifications carry.
    on_click : callable, optional
        Called with the clicked points (dicts of field values) when the user
        clicks a mark. Clearing the selection calls nothing.
    css_class : str
        Class of the widget, for tests and styling.
    """

    def __init__(
        self,
        *,
        selection: str | None = None,
        on_click: Callable[[list[dict[str, Any]]], None] | None = None,
        css_class: str = "mlprobe-chart",
    ) -> None:
        #: the area shown; the chart widget inside is created on the first :meth:`show`
        self.widget = w.Box(layout=w.Layout(min_width="0"))
        self.widget.add_class(css_class)
        self.chart: alt.JupyterChart | None = None
        self.spec: dict[str, Any] | None = None
        self._selection = selection
        self._on_click = on_click

    def show(self, spec: dict[str, Any]) -> None:
        """Draw the Vega-Lite specification ``spec`` (replacing the chart shown)."""
        live = fit_container_width(spec)
        fits = live.get("width") == "container"
        if self.chart is None:
            self.chart = _LiveChart(_placeholder(self._selection), embed_options={"actions": False})
            if self._selection is not None and self._on_click is not None:
                self.chart.observe(self._selections_changed, names="_vl_selections")
            self.widget.children = [vega_library(), self.chart]
        if fits and FIT_CLASS not in self.chart._dom_classes:
            self.chart.add_class(FIT_CLASS)
            self.chart.layout.width = "100%"
            self.widget.layout.width = "100%"
        elif not fits and FIT_CLASS in self.chart._dom_classes:
            self.chart.remove_class(FIT_CLASS)
            self.chart.layout.width = None
            self.widget.layout.width = None
        # a chart of fixed width keeps it (beside another, it wraps below rather than shrinks)
        self.widget.layout.flex = "1 1 100%" if fits else "0 0 auto"
        self.spec = spec
        self.chart.spec = live

    def _selections_changed(self, change: dict[str, Any]) -> None:
        assert self._selection is not None and self._on_click is not None
        new = clicked_points(change["new"] or {}, self._selection)
        if new and new != clicked_points(change.get("old") or {}, self._selection):
            self._on_click(new)
