"""Social networks behind one interface (platforms.base.Platform).

`get(name)` returns the module's Platform instance, importing the module on
first use so a function pays only for the networks it touches.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the interface loads with the first network, not with platforms.errors
    from platforms.base import Platform

# name -> module under platforms/; each module defines PLATFORM = <instance>.
REGISTRY: dict[str, str] = {
    "x": "x",
    "bluesky": "bluesky",
    "threads": "threads",
    "linkedin": "linkedin",
    "mastodon": "mastodon",
    "instagram": "instagram",
    "facebook": "facebook",
    "tiktok": "tiktok",
    "youtube": "youtube",
    "pinterest": "pinterest",
}


def names() -> list[str]:
    return sorted(REGISTRY)


def get(name: str) -> "Platform":
    module = REGISTRY.get(name)
    if module is None:
        raise KeyError(name)
    return importlib.import_module(f"platforms.{module}").PLATFORM
