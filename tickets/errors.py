"""Typed failures of the ticket store, translated into words once at the edge."""


class TicketStoreError(Exception):
    """Base class of everything the ticket store raises on purpose."""


class TicketStoreUnavailable(TicketStoreError):
    """The database cannot be reached or refused the write; nothing was stored."""


class TicketNotFound(TicketStoreError):
    """No such ticket for this resident (also raised for other residents' tickets)."""


class InvalidTransition(TicketStoreError):
    """The ticket's status cannot move to the requested one."""
