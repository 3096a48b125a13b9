"""The ticket store: every complaint, booking, handoff and post a resident makes.

Actions and the staff service talk to :class:`tickets.service.TicketService`;
only :mod:`tickets.repository` writes SQL.
"""
