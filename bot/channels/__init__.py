"""Rasa input channels of the assistant (WeChat official account, …). They know nothing about tickets."""
