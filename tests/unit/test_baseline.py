"""The baseline file: read and written as TOML, validated, and what it means for findings."""

from __future__ import annotations

import ast
import sys

import pytest

from localmig.baseline import (
    Acknowledgement,
    Baseline,
    BaselineFile,
    OneWayDeclaration,
    acknowledge,
    judged,
    one_way_revisions,
    read_baseline,
    stale_entries,
    updated,
    write_baseline,
)
from localmig.capture import Finding
from localmig.errors import ConfigError, ExitCode
from localmig.project import RevisionInfo, one_way_declaration

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def revision(id: str, *parents: str, depends_on: tuple[str, ...] = (), one_way: str | None = None) -> RevisionInfo:
    return RevisionInfo(id=id, down_revisions=list(parents), depends_on=list(depends_on), path=f"versions/{id}.py",
                        source_sha256="0" * 64, one_way=one_way)


PASS = Finding(revision="b", kind="downgrade_not_implemented", message="downgrade() is empty (pass)",
               details=["left behind: table orders"])
LEFT = Finding(revision="c", kind="downgrade_incomplete", message="downgrade does not restore the previous schema")
HEADS = Finding(kind="multiple_heads", message="the history has 2 heads: c, d")
HISTORY = [revision("a"), revision("b", "a"), revision("c", "b"), revision("d", "c")]


# --------------------------------------------------------------------------- reading


def test_no_file_is_an_empty_baseline_that_would_be_written_as_localmig_toml(tmp_path):
    file = read_baseline(tmp_path)
    assert file == BaselineFile(path=tmp_path / ".localmig.toml", exists=False, baseline=Baseline())


def test_the_baseline_is_read_from_localmig_toml_or_from_tool_localmig_in_pyproject(tmp_path):
    entry = 'revision = "b"\nkind = "downgrade_not_implemented"\nreason = "kept on purpose"\n'
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n\n[[tool.localmig.acknowledged]]\n' + entry)
    file = read_baseline(tmp_path)
    assert file.in_pyproject and file.exists and file.name == "[tool.localmig] in pyproject.toml"
    assert file.baseline.acknowledged == [Acknowledgement(revision="b", kind="downgrade_not_implemented",
                                                          reason="kept on purpose")]

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (tmp_path / ".localmig.toml").write_text('[[one_way]]\nrevision = "c"\nreason = "names cannot be split"\n')
    file = read_baseline(tmp_path)
    assert not file.in_pyproject
    assert file.baseline.one_way == [OneWayDeclaration(revision="c", reason="names cannot be split")]


@pytest.mark.parametrize(("text", "says"), [
    ('[[acknowledged]]\nrevision = "b"\nkind = "downgrade_broken"\nreason = "x"\n', "acknowledged[0].kind: Input should be"),
    ('[[acknowledged]]\nrevision = "b"\nkind = "downgrade_failed"\n', "acknowledged[0].reason: Field required"),
    ('[[acknowledged]]\nrevision = "b"\nkind = "downgrade_failed"\nreason = " "\n', "acknowledged[0].reason: Value error, give a reason"),
    ('[[acknowledged]]\nrevision = "b"\nkind = "downgrade_failed"\nreason = "x"\nseverity = 1\n', "acknowledged[0].severity: Extra inputs"),
    ('[[acknowledge]]\nrevision = "b"\n', "acknowledge: Extra inputs are not permitted"),
    ('[[one_way]]\nrevision = "c"\nreason = "x"\n[[one_way]]\nrevision = "c"\nreason = "y"\n', "revision c is declared one-way twice"),
    ('[[acknowledged]]\nkind = "multiple_heads"\nreason = "x"\n[[acknowledged]]\nkind = "multiple_heads"\nreason = "y"\n',
     "multiple_heads of the history is acknowledged twice"),
    ('[[acknowledged]\n', "not valid TOML"),
])
def test_a_bad_file_is_a_configuration_error_naming_the_file_and_the_key(tmp_path, text, says):
    (tmp_path / ".localmig.toml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        read_baseline(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / '.localmig.toml'}: ")
    assert says in str(raised.value)
    assert raised.value.exit_code == ExitCode.USAGE and raised.value.hint


def test_a_baseline_in_two_places_is_refused(tmp_path):
    (tmp_path / ".localmig.toml").write_text("")
    (tmp_path / "pyproject.toml").write_text("[tool.localmig]\n")
    with pytest.raises(ConfigError, match="kept in two places"):
        read_baseline(tmp_path)


# --------------------------------------------------------------------------- writing


def test_written_strings_read_back_exactly(tmp_path):
    reason = 'quotes " and \\ backslash, tab\t, newline\n, DEL \x7f, bell \x07, unicode é — 🦆'
    baseline = Baseline(acknowledged=[Acknowledgement(revision="b", kind="downgrade_failed", reason=reason),
                                      Acknowledgement(kind="multiple_heads", reason="two teams")],
                        one_way=[OneWayDeclaration(revision="c", reason=reason)])
    written = write_baseline(read_baseline(tmp_path), baseline)
    assert written.exists and written.path == tmp_path / ".localmig.toml"
    assert read_baseline(tmp_path).baseline == baseline
    text = (tmp_path / ".localmig.toml").read_text()
    assert text.startswith("# Known defects of this migration history")
    assert "revision" not in text.split("[[acknowledged]]")[2].split("[[one_way]]")[0]  # a history-wide entry


PYPROJECT = """\
[project]
name = "app"  # the app

[[tool.localmig.acknowledged]]
revision = "old"
kind = "downgrade_failed"
reason = "replaced below"
# a comment inside the table goes with it

# Ruff: kept with its table
# (two lines)
[tool.ruff]
line-length = 120
"""


def test_in_a_pyproject_only_the_localmig_tables_are_rewritten(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PYPROJECT)
    baseline = Baseline(acknowledged=[Acknowledgement(revision="b", kind="downgrade_not_implemented", reason="kept")])
    write_baseline(read_baseline(tmp_path), baseline)
    text = pyproject.read_text()
    assert text == (
        '[project]\nname = "app"  # the app\n\n[tool.localmig]\n\n[[tool.localmig.acknowledged]]\n'
        'revision = "b"\nkind = "downgrade_not_implemented"\nreason = "kept"\n\n'
        '# Ruff: kept with its table\n# (two lines)\n[tool.ruff]\nline-length = 120\n')
    assert read_baseline(tmp_path).baseline == baseline

    pyproject.write_text('[project]\nname = "app"\n')  # no table yet: appended
    write_baseline(BaselineFile(path=pyproject), baseline)
    assert tomllib.loads(pyproject.read_text())["project"] == {"name": "app"}
    assert read_baseline(tmp_path).baseline == baseline

    write_baseline(read_baseline(tmp_path), Baseline())  # emptied: the table stays, so the file stays here
    assert pyproject.read_text() == '[project]\nname = "app"\n\n[tool.localmig]\n'
    assert read_baseline(tmp_path).in_pyproject


def test_a_pyproject_that_cannot_be_rewritten_safely_is_left_alone(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool]\nlocalmig.acknowledged = []\n')  # the table made through a dotted key
    before = pyproject.read_text()
    with pytest.raises(ConfigError, match="cannot rewrite") as raised:
        write_baseline(read_baseline(tmp_path), Baseline(one_way=[OneWayDeclaration(revision="c", reason="x")]))
    assert raised.value.hint == "move the [tool.localmig] tables to .localmig.toml"
    assert pyproject.read_text() == before


def test_acknowledge_adds_or_replaces_one_entry_and_keeps_history_order(tmp_path):
    acknowledge(tmp_path, LEFT, "index kept", HISTORY)
    acknowledge(tmp_path, PASS, "table kept", HISTORY)
    acknowledge(tmp_path, LEFT, "index kept on purpose", HISTORY)
    assert read_baseline(tmp_path).baseline.acknowledged == [
        Acknowledgement(revision="b", kind="downgrade_not_implemented", reason="table kept"),
        Acknowledgement(revision="c", kind="downgrade_incomplete", reason="index kept on purpose"),
    ]


# --------------------------------------------------------------------------- what it means


def test_one_way_covers_the_revision_and_every_ancestor_through_parents_merges_and_depends_on():
    history = [revision("a"), revision("x"), revision("b", "a"), revision("y", "x"), revision("m", "b", "y"),
               revision("z", depends_on=("lbl",)), revision("c", "m"), revision("d", "c", one_way="irreversible = True")]
    file = BaselineFile(path="/p/.localmig.toml", baseline=Baseline(one_way=[OneWayDeclaration(revision="m", reason="merge")]))
    one_way = one_way_revisions(history, file)
    assert sorted(one_way) == ["a", "b", "c", "d", "m", "x", "y"]
    assert one_way["d"] == "d is declared one-way in its file: irreversible = True"
    assert one_way["m"] == "m is declared one-way in .localmig.toml: merge"
    assert one_way["c"] == "c is below one-way revision d" and one_way["a"] == "a is below one-way revision m"
    with_label = [revision("a"), revision("z", depends_on=("core",), one_way="irreversible = True")]
    assert sorted(one_way_revisions(with_label, BaselineFile(path="/p/x"), {"core": "a"})) == ["a", "z"]


def test_findings_are_judged_acknowledged_one_way_or_counting():
    baseline = Baseline(acknowledged=[Acknowledgement(revision="c", kind="downgrade_incomplete", reason="kept"),
                                      Acknowledgement(kind="multiple_heads", reason="two teams")])
    upgrade = Finding(revision="b", kind="upgrade_fails_with_rows", message="upgrade with existing rows: ...")
    result = judged([PASS, LEFT, HEADS, upgrade], baseline, {"b": "b is below one-way revision c"})
    assert [(f.accepted, f.reason) for f in result] == [
        ("one_way", "b is below one-way revision c"), ("acknowledged", "kept"), ("acknowledged", "two teams"),
        (None, None)]  # an upgrade finding is no less a failure on a one-way revision
    assert result[0].label == "downgrade_not_implemented: one-way (declared)"
    assert judged(result, Baseline(), {})[1].accepted is None  # judged again, against another baseline
    assert LEFT.accepted is None  # findings are values


def test_stale_entries_and_the_updated_baseline():
    baseline = Baseline(acknowledged=[
        Acknowledgement(revision="b", kind="downgrade_not_implemented", reason="kept"),
        Acknowledgement(revision="b", kind="downgrade_failed", reason="fixed since"),
        Acknowledgement(revision="gone", kind="downgrade_failed", reason="revision deleted"),
        Acknowledgement(revision="a", kind="downgrade_failed", reason="outside the scope"),
    ], one_way=[OneWayDeclaration(revision="gone2", reason="x")])
    file = BaselineFile(path="/p/.localmig.toml", exists=True, baseline=baseline)
    stale = stale_entries(file, [PASS, LEFT], HISTORY)
    assert [(r, m.split(":")[0], "no longer occurs" in m) for r, m in stale] == [
        ("b", "stale acknowledgement", True), ("gone", "stale acknowledgement", False),
        ("a", "stale acknowledgement", True), ("gone2", "stale acknowledgement", False)]
    assert [r for r, _ in stale_entries(file, [PASS, LEFT], HISTORY, scope={"b", "c"})] == ["b", "gone", "gone2"]

    new = updated(baseline, [LEFT, PASS], HISTORY)
    assert new.acknowledged == [
        Acknowledgement(revision="b", kind="downgrade_not_implemented", reason="kept"),
        Acknowledgement(revision="c", kind="downgrade_incomplete",
                        reason="known when the baseline was written: downgrade does not restore the previous schema"),
    ]
    assert new.one_way == baseline.one_way
    assert [a.revision for a in updated(baseline, [LEFT, PASS], HISTORY, scope={"b", "c"}).acknowledged] == ["a", "b", "c"]
    one_way_only = judged([PASS], Baseline(), {"b": "b is declared one-way"})
    assert updated(Baseline(), one_way_only, HISTORY).acknowledged == []  # expected, not acknowledged


@pytest.mark.parametrize(("source", "declared"), [
    ("irreversible = True\n", "irreversible = True"),
    ("irreversible: bool = True\n", "irreversible = True"),
    ("irreversible = 'the payloads are gone'\n", "the payloads are gone"),
    ("irreversible = False\n", None),
    ("def downgrade():\n    raise NotImplementedError('names cannot be split back')\n",
     "downgrade() raises NotImplementedError('names cannot be split back')"),
    ("def downgrade():\n    '''Downgrade.'''\n    raise NotImplementedError()\n", None),
    ("def downgrade():\n    raise NotImplementedError\n", None),
    ("def downgrade():\n    if op.get_bind().dialect.name == 'sqlite':\n        raise NotImplementedError('sqlite')\n", None),
    ("def downgrade():\n    pass\n", None),
])
def test_a_revision_file_declares_itself_one_way(source, declared):
    assert one_way_declaration(ast.parse(source)) == declared
