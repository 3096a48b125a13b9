"""Typed failures of the ticket store, translated into words once at the edge."""


class TicketStoreError(Exception):
    """Base class of everything the ticket store raises on purpose."""


class TicketStoreUnavailable(TicketStoreError):
    """The database cannot be reached or refused the write; nothing was stored."""


class TicketNotFound(TicketStoreError):
    """No such ticket for this resident (also raised for other residents' tickets)."""


class NotAllowed(TicketStoreError):
    """The staff member may not do this to this ticket (another department or grid, or their role)."""


class InvalidTransition(TicketStoreError):
    """The ticket cannot go from its status to the one asked for."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} → {wanted}")
        self.current, self.wanted = current, wanted
