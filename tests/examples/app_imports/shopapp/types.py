"""Custom column types of the shop application."""
from decimal import Decimal

import sqlalchemy as sa


class Money(sa.types.TypeDecorator):
    """An amount of money, a Decimal in Python, stored as integer cents."""

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value) / 100
