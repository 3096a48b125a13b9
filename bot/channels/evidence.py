"""Photos and shared locations from residents, described for Rasa as message metadata.

Channels know nothing about tickets: they only say what arrived. GuardPolicy sends such a
message to ``action_attach_evidence``, which adds it to the resident's open complaint.
"""

from __future__ import annotations

from typing import Any, Dict

ATTACHMENT = "attachment"  # the metadata key (GuardPolicy and the action read the same name)


def image(url: str) -> Dict[str, Any]:
    return {"kind": "image", "url": url}


def location(latitude: float, longitude: float, label: str | None) -> Dict[str, Any]:
    return {"kind": "location", "latitude": latitude, "longitude": longitude, "label": label or None}
