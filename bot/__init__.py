"""社区通: channels, the staff and web service, and the entry points that start everything."""
