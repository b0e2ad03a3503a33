"""Per-test verification results of one revision, with the pytest output of the highlighted test."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, TextArea

from ...outcomes import TestOutcome

VERDICTS = {"passed": ("passed", "success"), "migration_defect": ("migration defect", "warning"),
            "test_defect": ("failed", "error"), "not_run": ("not run", "error"), "left_out": ("left out", "text-muted")}


def verdict_words(outcome: TestOutcome, left_out: bool = False) -> str:
    return VERDICTS["left_out" if left_out else outcome.verdict][0]


def explain(outcome: TestOutcome, left_out: bool = False) -> str:
    """The text shown for one test: what happened, why, and pytest's own report."""
    lines = [f"{outcome.name}: {verdict_words(outcome, left_out)}"]
    if left_out:
        lines.append("left out of the module: it failed and no finding explains why")
    if outcome.verdict == "migration_defect":
        lines.append("the test fails because of a defect of the migration, found when the history was run")
    if outcome.finding:
        lines.append(f"finding: {outcome.finding}")
    if outcome.message:
        lines += ["", outcome.message]
    if outcome.output:
        lines += ["", outcome.output]
    return "\n".join(lines)


class ResultsView(Horizontal):
    """A table of the tests (engine, aspect, result) beside the output of the one under the cursor."""

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="results-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield TextArea(id="results-output", read_only=True, soft_wrap=True, show_cursor=False)

    def on_mount(self) -> None:
        table = self.query_one("#results-table", DataTable)
        for column in ("result", "test", "engine", "aspect"):
            table.add_column(column, key=column)
        self._rows: dict[str, tuple[TestOutcome, bool]] = {}

    def show(self, outcomes: list[TestOutcome], dropped: list[TestOutcome], note: str = "") -> None:
        table = self.query_one("#results-table", DataTable)
        table.clear()
        colours = self.app.get_css_variables()
        self._rows = {}
        for outcome, left_out in [(o, False) for o in outcomes] + [(o, True) for o in dropped]:
            words, colour = VERDICTS["left_out" if left_out else outcome.verdict]
            key = f"{outcome.name}{'#dropped' if left_out else ''}"
            if key in self._rows:
                continue
            self._rows[key] = (outcome, left_out)
            table.add_row(Text(words, style=colours.get(colour, "")), Text(outcome.name), outcome.engine or "", outcome.aspect or "",
                          key=key)
        self.query_one("#results-output", TextArea).load_text(note or ("no test ran" if not self._rows else ""))
        if self._rows:
            self.show_output(next(iter(self._rows)))

    def show_output(self, key: str) -> None:
        if key in self._rows:
            outcome, left_out = self._rows[key]
            self.query_one("#results-output", TextArea).load_text(explain(outcome, left_out))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_output(event.row_key.value)
