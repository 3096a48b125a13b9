"""Alembic environment: migrations run on the connection :func:`tickets.db.migrate` hands over."""

from alembic import context
from sqlalchemy import create_engine

import tickets.alert_models  # noqa: F401  (its tables are on the same metadata)
from tickets.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the alembic command line: open our own connection
        engine = create_engine(config.get_main_option("sqlalchemy.url"), future=True)
        with engine.begin() as own_connection:
            _run(own_connection)
        return
    _run(connection)


def _ticket_store_only(object_, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """The channels keep their own tables in the same database (bot/delivery): autogenerate
    must not propose dropping tables it does not own."""
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_ticket_store_only,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
