"""contacts: backfill written with every literal form

Every literal in this file holds a canary that must never reach a model: cnry-docstring-rest-01.
The PostgreSQL branch holds the forms SQLite does not read; both branches are in the source.

Revision ID: c4a702e6f8a0
Revises: c4a701b2d3e5
Create Date: 2026-12-02 09:12:13.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# cnry-python-comment-02: comments never reach a model

# revision identifiers, used by Alembic.
revision: str = 'c4a702e6f8a0'
down_revision: Union[str, Sequence[str], None] = 'c4a701b2d3e5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DEFAULT_NOTE = "cnry-module-constant-03"
SCORE_FLOOR = 7311004
LEGACY_KEY = b"cnry-bytes-05"

contacts = sa.table(
    "contacts",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("note", sa.Text),
    sa.column("score", sa.Numeric),
    sa.column("payload", sa.LargeBinary),
)


def upgrade() -> None:
    """Upgrade schema.

    cnry-function-docstring-06 is only on the docstring's second line.
    """
    op.bulk_insert(contacts, [
        {"id": 7311051, "email": "cnry-bulk-email-07@example.invalid", "note": DEFAULT_NOTE, "score": 7311008,
         "payload": LEGACY_KEY},
        {"id": 7311052, "email": "cnry-bulk-email-09@example.invalid", "note": None, "score": -7311010.5, "payload": None},
        {"id": 7311053, "email": "cnry-bulk-email-35@example.invalid", "note": "cnry-bulk-note-36", "score": 7311037,
         "payload": None},
    ])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE contacts SET note = $$cnry-dollar-11$$ WHERE id = 7311012")
        op.execute("UPDATE contacts SET note = $tag$cnry-tagged-dollar-13 'quoted' $$ inside$tag$ WHERE id = 7311051")
        op.execute("UPDATE contacts SET note = E'cnry-escape-14\\'s' WHERE email <> N'cnry-national-15'")
        op.execute("UPDATE contacts SET note = U&'cnry-unicode-16' WHERE B'10110111001101' = B'10110111001101'")
        op.execute("UPDATE contacts SET payload = '\\xC0FFEE5EC2E7'::bytea WHERE id = 7311052")
    else:
        op.execute("UPDATE contacts SET payload = X'C0FFEE5EC2E7' WHERE id = 7311052")
    op.execute("UPDATE contacts SET note = 'cnry-sql-plain-17' WHERE id = 7311052")
    op.execute("UPDATE contacts SET note = 'it''s cnry-doubled-quote-18' WHERE id = 7311038")
    op.execute("""
        UPDATE contacts  -- cnry-sql-line-comment-19
        SET "note" = 'cnry-sql-quoted-ident-20' /* cnry-sql-block-comment-21 */
        WHERE score < -7311022.75
    """)
    op.execute(contacts.update().where(contacts.c.email == "cnry-core-where-23").values(note="cnry-core-values-24"))
    bind.execute(sa.text("UPDATE contacts SET note = :note WHERE id = :id"), {"note": "cnry-bound-param-25", "id": 7311026})
    bind.execute(sa.text("UPDATE contacts SET note = :note WHERE id = 7311039").bindparams(note="cnry-bindparams-27"))
    op.execute(f"UPDATE contacts SET note = 'cnry-fstring-28' WHERE score > {SCORE_FLOOR} AND id = 7311053")
    op.execute("UPDATE contacts SET email = 'cnry-concat-29@example.invalid'" + " WHERE id = " + str(7311030))
    op.execute("UPDATE contacts SET note = '%s' WHERE id = 7311040" % "cnry-percent-31")
    bind.exec_driver_sql("UPDATE contacts SET note = 'cnry-driver-sql-32' WHERE id = 7311041")
    for row_id, note in [(7311042, "cnry-python-loop-33")]:
        bind.execute(sa.text("UPDATE contacts SET note = :note WHERE id = :id"), {"note": note, "id": row_id})


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("UPDATE contacts SET note = NULL WHERE note = 'cnry-downgrade-34'")
    op.execute("DELETE FROM contacts WHERE id IN (7311051, 7311052, 7311053)")
