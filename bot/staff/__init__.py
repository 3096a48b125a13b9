"""The staff and web service: health, the 24-hour web chat, later the console and API."""
