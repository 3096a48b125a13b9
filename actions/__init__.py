"""Custom actions of 社区通, served by the rasa_sdk action server: ``python -m actions``
(see :mod:`actions.__main__`). Importing the package does nothing but define the actions."""
