"""The Suggest tab saves all suggestions, or the ticked ones, as tests (issue 15, item 4).

Driven from Python as a user would click: run the search, tick, press a button; then read
the explorer's suite file back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import mlprobe as mp
from mlprobe import SliceTest, Suite
from mlprobe.widgets import Explorer
from mlprobe.widgets.save_pane import SavePane
from mlprobe.widgets.suggest_pane import SuggestPane


def _explorer(probe: mp.Probe, path: Path, **kwargs: object) -> tuple[Explorer, pd.DataFrame]:
    explorer = probe.explore(path=str(path), **kwargs)
    pane = explorer.suggest
    pane.max_conditions.value = 2
    pane.top_k.value = 10
    found = pane.suggest()
    assert len(found) >= 2
    return explorer, found


def test_save_all_writes_one_test_per_suggestion_to_the_explorers_suite_file(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    path = tmp_path / "income.mlprobe.yaml"
    explorer, found = _explorer(adult_probe, path)
    pane = explorer.suggest
    assert pane.bulk.layout.display == "flex"  # the buttons show once there are suggestions
    pane.save_all.click()
    suite = Suite.load(path)
    expected = Suite.from_slices(
        found, name=explorer.save.suite_name, probe=adult_probe, metric=explorer.state.metric
    )
    assert suite.name == explorer.save.suite_name
    assert [t.id for t in suite] == [t.id for t in expected]
    assert [t.slice for t in suite] == list(found["slice"])
    assert {t.metric for t in suite} == {explorer.state.metric}
    assert all(t.baseline is not None and t.baseline.model == "model" for t in suite)
    assert all(t.description.startswith("Found by find_slices on ") for t in suite)
    assert explorer.state.message_kind == "success"
    assert f"saved {len(found)} of {len(found)} suggestions" in explorer.state.message
    assert "Saved" in pane.saved.value and suite.tests[0].id in pane.saved.value
    assert suite.run(adult_probe).passed


def test_save_ticked_saves_only_those(adult_probe: mp.Probe, tmp_path: Path) -> None:
    path = tmp_path / "s.mlprobe.yaml"
    explorer, found = _explorer(adult_probe, path)
    pane = explorer.suggest
    assert len(pane.picks) == len(found)
    assert pane.rows.children[0].children[3] is pane.picks[0]  # the tick box ends each row
    pane.picks[1].value = True
    assert pane.picked() == [1]
    pane.save_picked.click()
    assert [t.slice for t in Suite.load(path)] == [found["slice"].iloc[1]]
    pane.picks[0].value = True  # then another: added to the same file
    pane.save_picked.click()
    assert [t.slice for t in Suite.load(path)] == [found["slice"].iloc[i] for i in (1, 0)]


def test_nothing_ticked_is_a_message_and_no_file(adult_probe: mp.Probe, tmp_path: Path) -> None:
    path = tmp_path / "s.mlprobe.yaml"
    explorer, _ = _explorer(adult_probe, path)
    explorer.suggest.save_picked.click()
    assert explorer.state.message_kind == "error"
    assert "tick the suggestions to save first" in explorer.state.message
    assert not path.exists()


def test_saving_merges_with_the_file_and_never_clobbers_it(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    path = tmp_path / "s.mlprobe.yaml"
    explorer, found = _explorer(adult_probe, path)
    first_id = (
        Suite.from_slices(found.iloc[:1], name="x", probe=adult_probe, metric=explorer.state.metric)
        .tests[0]
        .id
    )
    # the team's own tests, one of them holding the id the first suggestion would get
    mine = [
        SliceTest(
            id="older-women", slice="age >= 60 and sex == 'Female'", metric="accuracy", at_least=0.5
        ),
        SliceTest(id=first_id, slice="age < 20", metric="accuracy", at_least=0.5),
    ]
    Suite("team", mine, description="Ours.").save(path)
    explorer.suggest.save_all.click()
    suite = Suite.load(path)
    assert (suite.name, suite.description, suite.tests[:2]) == ("team", "Ours.", mine)
    ids = [t.id for t in suite]
    assert len(ids) == len(set(ids)) == 2 + len(found)
    assert f"{first_id}-2" in ids  # a taken id gets a suffix; the old test keeps its own
    # saving the same suggestions again adds nothing and changes nothing
    before = path.read_text(encoding="utf-8")
    explorer.suggest.save_all.click()
    assert path.read_text(encoding="utf-8") == before
    assert f"{len(found)} already in the file" in explorer.state.message


def test_a_file_that_is_not_a_suite_is_refused_and_left_alone(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text("just: notes\n", encoding="utf-8")
    explorer, _ = _explorer(adult_probe, path)
    explorer.suggest.save_all.click()
    assert explorer.state.message_kind == "error"
    assert path.read_text(encoding="utf-8") == "just: notes\n"


def test_the_path_typed_in_the_save_tab_is_where_suggestions_go(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    explorer, _ = _explorer(adult_probe, tmp_path / "first.mlprobe.yaml")
    explorer.save.path.value = str(tmp_path / "elsewhere.mlprobe.yaml")
    explorer.suggest.save_all.click()
    assert (tmp_path / "elsewhere.mlprobe.yaml").exists()
    assert not (tmp_path / "first.mlprobe.yaml").exists()


def test_the_explorers_model_records_the_baselines(
    two_model_probe: mp.Probe, tmp_path: Path
) -> None:
    path = tmp_path / "s.mlprobe.yaml"
    explorer, _ = _explorer(two_model_probe, path, model="v2", metric="error_rate")
    explorer.suggest.save_all.click()
    suite = Suite.load(path)
    assert {t.baseline.model for t in suite if t.baseline} == {"v2"}
    assert {t.model for t in suite} == {None}  # any version can be checked against them
    assert {t.metric for t in suite} == {"error_rate"}
    assert suite.run(two_model_probe, model="v2").passed


def test_changing_model_or_metric_drops_the_suggestions_and_their_ticks(
    two_model_probe: mp.Probe, tmp_path: Path
) -> None:
    explorer, _ = _explorer(two_model_probe, tmp_path / "s.mlprobe.yaml")
    explorer.suggest.picks[0].value = True
    explorer.state.model = "v2"
    assert explorer.suggest.picks == [] and explorer.suggest.bulk.layout.display == "none"
    explorer.suggest.save_all.click()
    assert "run 'Suggest slices' first" in explorer.state.message


def test_a_suggest_pane_given_its_save_pane(adult_probe: mp.Probe, tmp_path: Path) -> None:
    explorer = adult_probe.explore()
    own = SavePane(explorer.state, suite_name="mine", path=str(tmp_path / "mine.mlprobe.yaml"))
    pane = SuggestPane(explorer.state, save_pane=own)
    pane.max_conditions.value = 1
    pane.top_k.value = 5
    pane.suggest()
    written = pane.save_tests([1])
    assert written == tmp_path / "mine.mlprobe.yaml"
    assert Suite.load(written).name == "mine" and len(Suite.load(written)) == 1


@pytest.mark.parametrize("which", [[99], [-1]])
def test_positions_out_of_range_are_refused(
    adult_probe: mp.Probe, tmp_path: Path, which: list[int]
) -> None:
    explorer, _ = _explorer(adult_probe, tmp_path / "s.mlprobe.yaml")
    assert explorer.suggest.save_tests(which) is None
    assert "positions of suggestions" in explorer.state.message
