"""`make bench`: figures for NLU quality, training time, latency, throughput and memory."""
