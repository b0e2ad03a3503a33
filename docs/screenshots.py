"""Make the README's screenshots with Textual's own screenshot: docs/tui-list.svg and
docs/tui-review.svg at 120x36, and the same two screens at 80x24 (docs/tui-*-80x24.svg).

Run from the repository root: ``python docs/screenshots.py``. The app runs on a copy of the demo
with a model answering through the scripted Ollama-protocol server of ``tests/`` (so the review
shows a model-written test and exactly what was sent), at sizes the snapshot tests use.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localmig.pipeline import SessionOptions  # noqa: E402
from localmig.tui import create_app  # noqa: E402
from tests.ollama_servers import ScriptedOllama  # noqa: E402
from tests.tui.conftest import generated, loaded, model_answer, select, wait_until, write_models_yaml  # noqa: E402

SIZES = {"": (120, 36), "-80x24": (80, 24)}
BACKFILL, ADDRESSES, BROKEN = "d1a0055ad3f0", "d1a006b94c27", "d1a0094d7b13"
BODY = """\
database = migrations.database_before(REVISION)
database.insert('customers', [{'id': 1, 'email': 'ada@shop.test', 'full_name': 'Ada', 'created_at': datetime.datetime(2024, 5, 1), 'is_active': True}])
database.insert('orders', [
    {'id': 1, 'customer_id': 1, 'status': 'paid', 'placed_at': datetime.datetime(2024, 5, 2)},
    {'id': 2, 'customer_id': 1, 'status': None, 'placed_at': datetime.datetime(2024, 5, 3)},
])
database.upgrade(REVISION)
assert [row['status'] for row in database.rows('orders')] == ['paid', 'legacy-unknown']"""


async def shoot(folder: Path, server: ScriptedOllama, suffix: str, size: tuple[int, int]) -> None:
    demo = folder / "demo"
    shutil.copytree(ROOT / "examples" / "demo", demo, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    server.answer(model_answer("test_upgrade_gives_addresses_a_schema"))
    server.answer(json.dumps({"imports": ["import datetime"], "tests": [{
        "name": "test_upgrade_keeps_the_status_of_paid_orders", "aspect": "data",
        "docstring": "Orders that had a status keep it; only orders without one become legacy-unknown.",
        "body": BODY}]}))
    server.answer(model_answer("test_upgrade_indexes_order_items"))
    app = create_app(SessionOptions(path=demo), config=write_models_yaml(folder / "models.yaml", server.host))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await select(pilot, [ADDRESSES, BACKFILL, BROKEN])
        await pilot.press("g")
        await generated(pilot, 3)
        await pilot.press("r")
        await pilot.pause(0.6)  # accept acts once the revision has been on screen for a moment
        await pilot.press("a")  # accept the addresses revision: the review moves on to the backfill
        await wait_until(pilot, lambda: app.screen.revision == BACKFILL, "the next revision")
        results = app.screen.query_one("#results-table")
        module = app.screen.query_one("#module")
        line = next(i for i, text in enumerate(module.text.splitlines()) if "def test_upgrade_keeps_the_status" in text)
        module.scroll_to(y=line - 1, animate=False)
        await pilot.press(*["down"] * (results.row_count - 1))  # the model's test and its result
        app.clear_notifications()
        await pilot.pause(0.3)
        app.save_screenshot(f"tui-review{suffix}.svg", str(ROOT / "docs"))
        await pilot.press("escape")
        await select(pilot, ["d1a001e4c7b2", "d1a0023f9a61"])  # two more chosen, not generated yet
        table = app.screen.query_one("#revisions")
        while table.cursor_row != 8:  # the broken downgrade: its findings in the detail pane
            await pilot.press("down")
        app.clear_notifications()
        await pilot.pause(0.3)
        app.save_screenshot(f"tui-list{suffix}.svg", str(ROOT / "docs"))
        app.exit()


def main() -> None:
    for suffix, size in SIZES.items():
        with tempfile.TemporaryDirectory(prefix="localmig-shots-") as folder, ScriptedOllama() as server:
            asyncio.run(shoot(Path(folder), server, suffix, size))
        print(f"wrote docs/tui-list{suffix}.svg and docs/tui-review{suffix}.svg")


if __name__ == "__main__":
    main()
