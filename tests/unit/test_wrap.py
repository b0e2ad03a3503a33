"""Wrapping long generated lines (localmig.wrap): same AST, every line within the limit."""

from __future__ import annotations

import ast

import pytest

from localmig.wrap import wrap_code

CASES = [
    "    assert (columns['unit_price_cents']['type'], columns['unit_price_cents']['nullable'], "
    "columns['unit_price_cents']['default']) == ('Integer()', False, None)",
    "    assert schema.find_unique('order_items', ['order_id', 'product_id']) is not None, "
    "'no unique constraint on order_items (order_id, product_id) and some more words to make it long'",
    "    assert thing, 'a message that is long enough on its own to need two lines of the string, "
    "split at spaces between its words so that the value stays exactly the same as before'",
    "    result = database.execute('SELECT id, email, full_name FROM customers WHERE email LIKE :pattern', "
    "{'pattern': '%@example.test', 'other': 1})",
    "    value = f'{database.rows(\"customers\")} and {database.rows(\"orders\")} and {database.rows(\"addresses\")}' + x",
]


def as_function(line: str) -> str:
    return f"def test_x(migrations):\n{line}\n"


@pytest.mark.parametrize("line", CASES)
def test_long_lines_are_wrapped_without_changing_the_code(line):
    source = as_function(line)
    wrapped = wrap_code(source)
    assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(source))
    long = [text for text in wrapped.splitlines() if len(text) > 120]
    if "f'" in line:
        assert wrapped == source or not long  # an f-string is never cut; the line may stay as it is
    else:
        assert not long, wrapped


def test_rows_of_data_are_filled_and_aligned_under_their_bracket():
    row = "{'id': 1, 'email': 'user1@example.test', 'full_name': 'full_name-1', " \
          "'created_at': datetime.datetime(2024, 1, 1, 12, 30), 'is_active': True},"
    source = f"def test_x(database):\n    database.insert('customers', [\n        {row}\n        {row}\n    ])\n"
    wrapped = wrap_code(source)
    lines = wrapped.splitlines()
    assert lines[2] == "        {'id': 1, 'email': 'user1@example.test', 'full_name': 'full_name-1',"
    assert lines[3] == "         'created_at': datetime.datetime(2024, 1, 1, 12, 30), 'is_active': True},"
    assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(source))


def test_lines_inside_strings_and_short_code_are_left_alone():
    source = 'def test_x():\n    sql = """\n' + "SELECT " + ", ".join(f"c{i}" for i in range(60)) + '\n"""\n'
    assert wrap_code(source) == source
    assert wrap_code("x = 1\n") == "x = 1\n"
