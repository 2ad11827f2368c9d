"""Execute every notebook in notebooks/ end to end, as a reader would run it.

A notebook that errors, or whose stored story no longer matches what the code prints, fails here.
The kernel is the ``python3`` kernelspec; jupyter_client starts it with the interpreter running
this test (a kernelspec whose argv starts with ``python``, and ipykernel's built-in spec, both
resolve to ``sys.executable``), which the last check below confirms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: Per cell: nbclient can stall (jupyter/nbclient#312), so never run without a timeout.
CELL_TIMEOUT = 180
_PREFIX_MARKER = "mlprobe-test-kernel-prefix:"
TEXT_FORM = "mlprobe explorer — run the notebook to interact; the last state is shown below"

#: Per notebook: (text in a cell's source, text its output must contain).
EXPECTED_OUTPUTS: dict[str, list[tuple[str, str]]] = {
    "01-quickstart.ipynb": [
        ('probe = mp.Probe(test, target="income"', "models=['gbm', 'logreg']"),
        ('probe.breakdown(by="sex"', "sex == 'Female'"),
        ('by=["sex", "race"]', "sex == 'Female' and race == 'Black'"),
        ('by="age", bins=5', "age >= 26 and age < 33"),
        ("print(older_women)", "age >= 60 and sex == 'Female'"),
        ("mp.Slice.from_dict(older_women.to_dict())", "True"),
        ('probe.compare("logreg", "gbm", by="race")', "improved"),
        ('probe.flips("logreg", "gbm")', "correct"),
    ],
    "02-tests.ipynb": [
        ("suite.with_baselines(probe", "n: 455, model: v1, recorded:"),
        ("return done.returncode", "5 passed"),
        ("exit_code = run_pytest()", "4 failed, 1 passed"),
        ("exit_code = run_pytest()", "pytest exit code: 1"),
        ("result = saved.run(both", "1 passed, 4 failed"),
        ('both.compare("v1", "v2"', "regressed"),
        ('"--junit"', "exit code: 1"),
    ],
    "03-explore.ipynb": [
        ('probe.explore(by="sex"', "mlprobe explorer — run the notebook to interact"),
        ("explorer.state.add_slices", "selected: older women; recall 0.351 on 455 rows"),
    ],
    "04-discover.ipynb": [
        ("print(worst)", "marital_status == 'Married-civ-spouse' and capital_gain == 0"),
        ("found = probe.find_slices(", "all 16 columns: .raw()"),
        ("fix_first = probe.priorities(", "benefit"),
        (
            "print(path.read_text())",
            "id: marital-status-eq-married-civ-spouse-and-capital-gain-eq-0",
        ),
        ("print(path.read_text())", "'passed': 3"),
    ],
    "05-audit.ipynb": [
        ('probe.breakdown(by="sex", metrics=["fpr"', "sex == 'Female'"),
        ('probe.disparity("sex", error_types)', "equalized_odds"),
        ('probe.disparity("race", error_types)', "demographic_parity"),
        ("print(disparity_sentence(", "fpr differs by"),
        (
            'strict = probe.disparity("race", "fpr", min_support=150)',
            "race == 'Other' (fewer than 150 rows)",
        ),
        ("print(path.read_text())", "expect: {max_difference: 0.05}"),
        ("result = mp.Suite.load(path).run(probe)", "1 passed, 2 failed, 1 inconclusive"),
    ],
    "06-versions.ipynb": [
        (
            "result = suite.run(probe, record=store",
            "v3 <SuiteResult 'income-model': 1 passed, 3 failed>",
        ),
        ('history.matrix(value="outcome")', "failed"),
        ('history.regressions("v3"', "-0.393 [-0.431, -0.355]  regressed"),
        ('history.trend("big-gains-recall")', "0.580"),
        ("Markdown(suite.to_markdown(history=history))", "v3 **FAILED** 0.580"),
    ],
}

#: Per notebook: (text in a cell's source, text its static HTML copy must contain), checked in a
#: text/html output of its own (viewers without widget JavaScript show that one).
EXPECTED_STATIC_HTML: dict[str, list[tuple[str, str]]] = {
    "03-explore.ipynb": [
        ('probe.explore(by="sex"', 'class="mlprobe-static"'),
        ('probe.explore(by="sex"', "older women"),  # the later cell's change reached the copy
        ('probe.explore(by="sex"', "data:image/svg+xml;base64,"),
    ],
}


def _output_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output["data"].get("text/plain", ""))
            parts.append(output["data"].get("text/markdown", ""))
    return "\n".join(parts)


def _execute(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    # one extra cell reports which Python ran the kernel
    nb.cells.append(nbformat.v4.new_code_cell(f"import sys\nprint({_PREFIX_MARKER!r}, sys.prefix)"))
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()  # raises CellExecutionError, with the cell's traceback, if a cell fails
    return nb


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the kernel's files out of ~ and its BLAS/OpenMP pools at one thread.

    On a loaded 2-core machine, OpenMP's default two threads made the GBM fit in the
    quickstart 20-40x slower (41 s instead of 2 s); one thread is fast everywhere.
    """
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOKS_DIR}"
    assert {p.name for p in NOTEBOOKS} >= set(EXPECTED_OUTPUTS)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
@pytest.mark.usefixtures("kernel_env")
def test_notebook_runs(path: Path) -> None:
    nb = _execute(path)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]

    errors = [
        (i, o.get("ename"), o.get("evalue"))
        for i, c in enumerate(code_cells)
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, f"{path.name}: cells produced errors: {errors}"
    assert all(c.execution_count is not None for c in code_cells), "a code cell did not run"

    kernel_prefix = _output_text(code_cells[-1]).split(_PREFIX_MARKER, 1)[-1].strip()
    assert Path(kernel_prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the python3 kernel ran in {kernel_prefix}, not in this environment ({sys.prefix}); "
        "install a kernelspec into it: python -m ipykernel install --sys-prefix"
    )

    for source_part, expected in EXPECTED_OUTPUTS.get(path.name, []):
        cells = [c for c in code_cells if source_part in c.source]
        assert cells, f"{path.name}: no code cell contains {source_part!r}"
        outputs = "\n".join(_output_text(c) for c in cells)
        assert expected in outputs, (
            f"{path.name}: the output of the cell with {source_part!r} lacks {expected!r}:\n{outputs}"
        )

    # a reader without a kernel (an nbconvert HTML export, as GitHub and nbviewer show it)
    # sees one clean line for a widget, never its raw repr
    from nbconvert import HTMLExporter

    shared = nbformat.from_dict(nb)  # as saved without widget state (GitHub, nbviewer)
    shared.metadata.pop("widgets", None)
    page, _ = HTMLExporter().from_notebook_node(shared)
    for raw in ("Explorer(children=", "HBox(children=", "VBox(children=", "HTML(value="):
        assert raw not in page, f"{path.name}: the HTML export shows a widget's raw repr {raw!r}"
    if "probe.explore(" in "".join(c.source for c in code_cells):
        assert TEXT_FORM in page, f"{path.name}: the explorer's text form is missing"

    for source_part, expected in EXPECTED_STATIC_HTML.get(path.name, []):
        (cell,) = [c for c in code_cells if source_part in c.source]
        static = [
            o["data"]["text/html"]
            for o in cell.outputs
            if o.output_type == "display_data"
            and "text/html" in o["data"]
            and "application/vnd.jupyter.widget-view+json" not in o["data"]
        ]
        assert static and expected in static[-1], (
            f"{path.name}: the static copy of the cell with {source_part!r} lacks {expected!r}"
        )
