"""Chinese text helpers: times, phone numbers, ratings, numbered choices, corrections, masking of
personal data. Shared by the chat server, the actions, the ticket store and the staff service, so
it imports nothing of ours (tests/test_import_graph.py checks)."""
