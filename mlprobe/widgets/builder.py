"""The slice builder: a condition from controls that fit the column, or a typed expression.

Conditions are written into the expression box (combined with and/or, or
negated), so what the user sees is always the exact slice that will be
added; the box can also be edited by hand and is parsed by ``Slice.parse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.slicing.predicates import Predicate, col
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import MlprobeError, ValidationError
from mlprobe.widgets.state import ExplorerState, shown_errors, user_action

__all__ = ["SliceBuilder", "groups_message"]

#: categorical columns with at most this many levels get a multi-select with counts
MAX_CHOICES = 200

IS_ONE_OF, NOT_ONE_OF = "is one of", "is not one of"
MISSING, PRESENT = "is missing", "is not missing"
BETWEEN = "between"
CATEGORICAL_OPERATORS = [IS_ONE_OF, NOT_ONE_OF, MISSING, PRESENT]
TEXT_OPERATORS = ["==", "!=", MISSING, PRESENT]
NUMERIC_OPERATORS = [BETWEEN, ">=", "<", "==", "!=", MISSING, PRESENT]


def _state(builder: SliceBuilder) -> ExplorerState:
    return builder.state


class SliceBuilder:
    """Controls that turn a column, an operator and a value into a slice of the state.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What is displayed.
    """

    def __init__(self, state: ExplorerState) -> None:
        self.state = state
        probe = state.probe
        # "auto" widths fill the column (a width of 100% plus the widgets' margin is 4 px too wide)
        fill = {"width": "auto", "min_width": "0"}
        self.column = w.Dropdown(
            options=probe.columns, description="column", layout=w.Layout(**fill)
        )
        self.column.add_class("mlprobe-column")
        self.operator = w.Dropdown(description="operator", layout=w.Layout(**fill))
        self.operator.add_class("mlprobe-operator")
        self.value_box = w.VBox(layout=w.Layout(**fill))
        self.value_box.add_class("mlprobe-value")
        self.negate = w.Checkbox(
            value=False, description="not", indent=False, layout=w.Layout(width="60px")
        )
        self.combine = w.ToggleButtons(
            options=["and", "or"], value="and", layout=w.Layout(width="auto", flex="0 0 auto")
        )
        self.combine.style.button_width = "56px"
        self.add_condition = w.Button(
            description="add condition", icon="plus", layout=w.Layout(width="auto", flex="0 0 auto")
        )
        self.add_condition.add_class("mlprobe-add-condition")
        self.expression = w.Textarea(
            placeholder="or type an expression, e.g. age >= 60 and sex == 'Female'",
            layout=w.Layout(height="56px", **fill),
        )
        self.expression.add_class("mlprobe-expression")
        self.name = w.Text(placeholder="name (optional)", layout=w.Layout(**fill))
        self.name.add_class("mlprobe-slice-name")
        grow = {"width": "auto", "flex": "1 1 auto", "min_width": "0"}
        self.add_slice = w.Button(
            description="Add slice", button_style="primary", icon="check", layout=w.Layout(**grow)
        )
        self.add_slice.add_class("mlprobe-add-slice")
        self.clear = w.Button(
            description="clear", icon="times", layout=w.Layout(width="auto", flex="0 0 auto")
        )
        self.error = w.HTML(layout=w.Layout(**fill))
        self.error.add_class("mlprobe-builder-error")
        self.group_column = w.Dropdown(
            options=probe.columns, description="group by", layout=w.Layout(**fill)
        )
        self.group_column.add_class("mlprobe-group-column")
        self.bins = w.BoundedIntText(
            value=5, min=2, max=100, description="bins", layout=w.Layout(**grow)
        )
        self.add_groups = w.Button(
            description="Add groups", icon="th-list", layout=w.Layout(width="auto", flex="0 0 auto")
        )
        self.add_groups.add_class("mlprobe-add-groups")
        self._controls: dict[str, Any] = {}
        self._profile: ColumnProfile | None = None

        self.column.observe(self._column_changed, names="value")
        self.operator.observe(self._operator_changed, names="value")
        self.add_condition.on_click(self._add_condition)
        self.add_slice.on_click(self._add_slice)
        self.clear.on_click(self._clear)
        self.add_groups.on_click(self._add_groups)
        self._column_changed({"new": self.column.value})

        self.widget = w.VBox(
            [
                w.HTML("<b>Build a slice</b>"),
                self.column,
                self.operator,
                self.value_box,
                w.HBox(
                    [self.negate, self.combine, self.add_condition],
                    layout=w.Layout(flex_flow="row wrap", align_items="center", overflow="visible"),
                ),
                self.expression,
                self.name,
                w.HBox([self.add_slice, self.clear], layout=w.Layout(overflow="visible")),
                self.error,
                w.HTML("<b>Add a slice per group</b>"),
                self.group_column,
                w.HBox([self.bins, self.add_groups], layout=w.Layout(overflow="visible")),
            ],
            layout=w.Layout(overflow="visible"),
        )
        self.widget.add_class("mlprobe-builder")

    # --- controls that fit the column ------------------------------------------------------

    @shown_errors(_state)
    def _column_changed(self, change: dict[str, Any]) -> None:
        profile = self.state.probe.describe_column(change["new"])
        self._profile = profile
        if profile.kind == "categorical":
            options = TEXT_OPERATORS if _many_levels(profile) else CATEGORICAL_OPERATORS
        else:
            options = NUMERIC_OPERATORS
        self.operator.options = options
        self.operator.value = options[0]
        self._operator_changed({"new": self.operator.value})

    @shown_errors(_state)
    def _operator_changed(self, change: dict[str, Any]) -> None:
        profile = self._profile
        operator = change["new"]
        if profile is None or operator is None:
            return
        self._controls = {}
        if operator in (MISSING, PRESENT):
            note = f"{profile.n_missing:,} of {profile.n_rows:,} rows are missing"
            self.value_box.children = [w.HTML(f"<i>{note}</i>")]
            return
        if profile.kind == "categorical" and operator in (IS_ONE_OF, NOT_ONE_OF):
            choices = w.SelectMultiple(
                options=[(f"{value}  ({count:,})", value) for value, count in profile.levels],
                rows=min(8, max(2, profile.n_levels)),
                layout=w.Layout(width="auto", min_width="0"),
            )
            choices.add_class("mlprobe-choices")
            self._controls["values"] = choices
        elif profile.kind == "categorical":
            text = w.Combobox(
                options=[str(value) for value, _ in profile.levels[:1000]],
                placeholder="value",
                ensure_option=False,
                layout=w.Layout(width="auto", min_width="0"),
            )
            text.add_class("mlprobe-text-value")
            self._controls["value"] = text
        elif profile.kind == "datetime":
            for key in ("low", "high") if operator == BETWEEN else ("value",):
                edge = profile.minimum if key != "high" else profile.maximum
                text = w.Text(
                    value="" if edge is None else edge.isoformat(),
                    description=key,
                    layout=w.Layout(width="auto", min_width="0"),
                )
                self._controls[key] = text
        elif operator == BETWEEN:
            low, high = profile.minimum, profile.maximum
            low, high = (0, 1) if low is None else (low, high)
            integral = isinstance(low, int) and isinstance(high, int)
            slider_class = w.IntRangeSlider if integral else w.FloatRangeSlider
            step = 1 if integral else max((high - low) / 100, 1e-12)
            slider = slider_class(
                value=[low, high],
                min=low,
                max=max(high, low + step),
                step=step,
                continuous_update=False,
                layout=w.Layout(width="auto", min_width="0"),
            )
            slider.add_class("mlprobe-range")
            self._controls["range"] = slider
        else:
            low, high = profile.minimum, profile.maximum
            number: w.IntText | w.FloatText
            if isinstance(low, int) and isinstance(high, int):
                number = w.IntText(
                    value=(low + high) // 2,
                    description="value",
                    layout=w.Layout(width="auto", min_width="0"),
                )
            else:
                middle = 0.0 if low is None else (low + high) / 2
                number = w.FloatText(
                    value=middle, description="value", layout=w.Layout(width="auto", min_width="0")
                )
            number.add_class("mlprobe-number")
            self._controls["value"] = number
        self.value_box.children = list(self._controls.values())

    # --- from controls to a condition ------------------------------------------------------

    def condition(self) -> Predicate:
        """The condition the controls describe now."""
        profile = self._profile
        if profile is None:
            raise ValidationError("pick a column first.")
        column = col(profile.name)
        operator = self.operator.value
        controls = self._controls
        predicate: Predicate
        if operator == MISSING:
            predicate = column.isnull()
        elif operator == PRESENT:
            predicate = column.notnull()
        elif "values" in controls:
            chosen = list(controls["values"].value)
            if not chosen:
                raise ValidationError(f"{profile.name}: select at least one value in the list.")
            predicate = column.isin(chosen) if len(chosen) > 1 else column == chosen[0]
            if operator == NOT_ONE_OF:
                predicate = ~predicate
        elif "range" in controls:
            low, high = controls["range"].value
            predicate = column.between(low, high)
        elif profile.kind == "datetime":
            texts = [controls[k].value.strip() for k in controls]
            if not all(texts):
                raise ValidationError(f"{profile.name}: enter a date such as 2024-01-31.")
            predicate = (
                column.between(texts[0], texts[1])
                if operator == BETWEEN
                else _compare(column, operator, texts[0])
            )
        else:
            value = controls["value"].value
            if profile.kind == "categorical":
                value = self._level_for(value)
            elif (
                isinstance(value, float) and value.is_integer() and isinstance(profile.minimum, int)
            ):
                value = int(value)  # an integer column reads 'age >= 40', not 40.0
            predicate = _compare(column, operator, value)
        return ~predicate if self.negate.value else predicate

    def _level_for(self, text: str) -> Any:
        """The column's value whose text is ``text`` (levels may be numbers or booleans)."""
        assert self._profile is not None
        for value, _ in self._profile.levels:
            if str(value) == text:
                return value
        if not text:
            raise ValidationError(f"{self._profile.name}: type a value.")
        return text

    # --- actions ---------------------------------------------------------------------------

    @user_action(_state)
    def _add_condition(self, _: Any = None) -> None:
        condition = self.condition()
        text = self.expression.value.strip()
        if text:
            current = self._parse(text)
            if current is None:
                return
            condition = (
                current.predicate & condition
                if self.combine.value == "and"
                else current.predicate | condition
            )
        self.expression.value = str(condition)
        self.error.value = ""

    def _parse(self, text: str) -> Slice | None:
        """The expression as a slice, or None with the parse error shown under the box."""
        try:
            parsed = Slice.parse(text, name=self.name.value.strip() or None)
        except MlprobeError as error:
            self.error.value = _error_html(str(error))
            self.state.tell("")  # an older success message would read as if this worked
            return None
        self.error.value = ""
        return parsed

    @user_action(_state)
    def _add_slice(self, _: Any = None) -> None:
        text = self.expression.value.strip()
        if not text:
            self._add_condition()
            text = self.expression.value.strip()
            if not text:
                return
        parsed = self._parse(text)
        if parsed is None:
            return
        # unknown columns and wrong types fail here, on every backend, without a scan
        self.state.probe.check_slice(parsed, model=self.state.model)
        if not self.state.add_slices([parsed]):
            self.error.value = _error_html(
                "'overall' names all rows; give this slice another name."
                if parsed.name == "overall"
                else f"a slice named {parsed.name!r} is already in the list; give this one a name."
            )
            return
        self.expression.value = ""
        self.name.value = ""
        self.state.tell(f"added slice {parsed.name!r}", "success")

    @user_action(_state)
    def _clear(self, _: Any = None) -> None:
        self.expression.value = ""
        self.name.value = ""
        self.error.value = ""

    @user_action(_state)
    def _add_groups(self, _: Any = None) -> None:
        column = self.group_column.value
        profile = self.state.probe.describe_column(column)
        bins = self.bins.value if profile.kind != "categorical" else None
        groups = self.state.probe.groups(column, bins=bins)
        added = self.state.add_slices(groups, select=False)
        self.state.bins = bins
        self.state.by = [column]
        self.state.tell(groups_message(column, bins, groups, added), "success")


def _many_levels(profile: ColumnProfile) -> bool:
    """Too many levels to pick from a list: more than :data:`MAX_CHOICES`, or not all of
    them listed (an engine lists at most the 1000 most frequent, none of an id column)."""
    listed = sum(count for _, count in profile.levels)
    return profile.n_levels > MAX_CHOICES or listed < profile.n_rows - profile.n_missing


def groups_message(
    column: str, bins: int | None, groups: Sequence[Slice], added: Sequence[Slice]
) -> str:
    """What "Add groups" did, and why there are fewer groups than bins when there are.

    Examples
    --------
    >>> groups = [Slice.parse("h < 40"), Slice.parse("h >= 40 and h < 45"), Slice.parse("h >= 45")]
    >>> groups_message("h", 4, groups, groups)
    "added 3 groups of 'h' (bins=4 gave 3 groups: tied quantiles merged bins)"
    """
    text = f"added {len(added)} group{'s' if len(added) != 1 else ''} of {column!r}"
    notes = []
    if bins is not None:
        # the group of missing values comes on top of the bins
        binned = [g for g in groups if not str(g.predicate).endswith(" is null")]
        if len(binned) < bins:
            notes.append(
                f"bins={bins} gave {len(binned)} group{'s' if len(binned) != 1 else ''}: "
                "tied quantiles merged bins"
            )
    if len(added) < len(groups):
        notes.append(f"{len(groups) - len(added)} already in the list")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _compare(column: Any, operator: str, value: Any) -> Predicate:
    operations = {
        "==": column.__eq__,
        "!=": column.__ne__,
        ">=": column.__ge__,
        "<": column.__lt__,
    }
    predicate: Predicate = operations[operator](value)
    return predicate


def _error_html(text: str) -> str:
    import html

    return (
        '<pre style="color:#b2182b;white-space:pre-wrap;font-family:monospace;'
        f'font-size:12px;line-height:1.25;margin:2px 0">{html.escape(text)}</pre>'
    )
