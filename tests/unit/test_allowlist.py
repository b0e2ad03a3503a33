"""The allowlist of model test bodies: what the fixture API and pure code may use passes, every
way past the scratch database is refused with a reason the repair prompt can pass on."""

from __future__ import annotations

import ast

import pytest

from localmig.engines.allowlist import check_names

GOOD = (
    "database = migrations.database_before(REVISION)\n"
    "database.insert('orders', [{'id': 1, 'status': None}])\n"
    "database.upgrade(REVISION)\n"
    "rows = database.rows('orders', without=['note'])\n"
    "assert sorted(row['status'].lower() for row in rows if row['status']) == []\n"
    "assert {key for key, value in rows[0].items()} >= {'id'}\n"
    "schema = migrations.schema_after(REVISION)\n"
    "assert schema.column('orders', 'status')['nullable'] is False\n"
    "assert 'ix_orders_status' in schema.indexes('orders')\n"
    "when = datetime.date(2020, 1, 2).isoformat()\n"
    "assert decimal.Decimal('1.50').quantize(decimal.Decimal('0.1')) == decimal.Decimal('1.5')\n"
    "with pytest.raises(sa.exc.IntegrityError):\n"
    "    database.insert('orders', [{'id': 1}])\n"
    "assert json.loads(database.execute('SELECT 1 AS one')[0]['one'] and '1') == 1\n"
    "assert datetime.datetime.fromisoformat(when).year == 2020\n"
)
IMPORTS = {"import datetime", "import decimal", "import json", "import sqlalchemy as sa"}


def problems(body: str, imports: set[str] = IMPORTS) -> list[str]:
    return check_names(ast.parse(body), imports)


def test_the_fixture_api_and_pure_code_pass():
    assert problems(GOOD) == []


@pytest.mark.parametrize(("body", "reason"), [
    ("pytest.importorskip('pathlib').Path('/tmp/x').write_text('x')", "uses .importorskip, which imports or inspects"),
    ("import importlib\nimportlib.import_module('os')", "uses .import_module"),
    ("migrations.database_before(REVISION).engine.begin()", "uses .engine, which reaches past the fixture's scratch"),
    ("d = migrations.database_before(REVISION)\nd.engine.raw_connection()", "uses .raw_connection"),
    ("d = migrations.database_before(REVISION)\nc = d.connection\nc.exec_driver_sql('ATTACH x')", "uses .exec_driver_sql"),
    ("migrations.runner.config", "uses .runner"),
    ("migrations._history", "private and dunder attributes are not allowed"),
    ("migrations.__dict__", "private and dunder attributes are not allowed"),
    ("getattr(migrations, 'eng' + 'ine')", "uses 'getattr', a builtin that is not allowed"),
    ("setattr(migrations, 'x', 1)", "uses 'setattr', a builtin that is not allowed"),
    ("hasattr(migrations, 'engine')", "uses hasattr(), which is not allowed"),
    ("while True:\n    pass", "uses a while loop"),
    ("def helper():\n    pass", "uses a nested function definition"),
    ("class X:\n    pass", "uses a class definition"),
    ("socket.create_connection(('10.255.255.1', 80))", "uses 'socket', not defined in the test"),
    ("print(open('/etc/passwd').read())", "uses 'open', a builtin that is not allowed"),
    ("type(migrations).mro()", "uses 'type', a builtin that is not allowed"),
    ("migrations.database_before(REVISION).execute(\"ATTACH DATABASE '/other.db' AS v\")", "the SQL uses ATTACH"),
    ("migrations.database_before(REVISION).execute('VACUUM INTO \\'/tmp/copy.db\\'')", "the SQL uses VACUUM INTO"),
    ("datetime.sys.modules", "uses datetime.sys, which is not allowed"),
    ("sa.create_mock_engine", "uses sqlalchemy.create_mock_engine, which is not allowed"),
    ("sa.event.listen", "uses sqlalchemy.event, which is not allowed"),
    ("json.codecs", "uses json.codecs, which is not allowed"),
    ("x = migrations.schema_after(REVISION).tables\nx.whatever_method()", "uses .whatever_method, which is not in the"),
])
def test_ways_past_the_scratch_database_are_refused(body, reason):
    found = problems(body)
    assert any(reason in problem for problem in found), found


def test_names_reported_elsewhere_are_not_named_again():
    tree = ast.parse("os.system('ls')\nmigrations.database_before(REVISION)")
    assert check_names(tree, set(), reported={"os"}) == []


def test_an_inline_import_of_an_allowed_module_defines_its_name():
    assert problems("import math\nassert math.isclose(1.0, 1.0)", set()) == []
    assert any("uses math.system" in p for p in problems("import math\nmath.system", set()))
