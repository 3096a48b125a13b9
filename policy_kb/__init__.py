"""The service catalogue and the retrieval that answers residents from it (no Rasa imports)."""
