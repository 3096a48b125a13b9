"""Language helpers shared by actions and channels: times, phone numbers."""
