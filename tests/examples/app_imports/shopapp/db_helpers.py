"""Helpers shared by the models and the migrations."""
import sqlalchemy as sa


def timestamp_columns() -> list:
    """created_at / updated_at columns, as every table of the shop has."""
    return [
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
    ]


def ix(table: str, *columns: str) -> str:
    """Index name following the shop's convention."""
    return "ix_" + table + "_" + "_".join(columns)
