"""What a Mastodon instance allows: characters, attachments, sizes, alt text.

They are the instance's own, read from GET /api/v2/instance (cached by the
platform); documented defaults otherwise.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from platforms.media import MB

# Used when the instance's configuration is not known (Instance entity example,
# and the server's own constants: 500 characters, 4 attachments, 1,500 characters
# of alt text, 16 MB images, 99 MB video).
DEFAULT_MIME_TYPES = ("image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp",
                      "image/avif", "video/webm", "video/mp4", "video/quicktime", "video/ogg")


@dataclass(frozen=True)
class InstanceLimits:
    max_characters: int = 500
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4
    description_limit: int = 1500
    image_size_limit: int = 16 * MB
    video_size_limit: int = 99 * MB
    image_matrix_limit: int = 33_177_600
    video_matrix_limit: int = 8_294_400
    supported_mime_types: tuple[str, ...] = DEFAULT_MIME_TYPES
    domain: str | None = None  # the WebFinger domain, for handles

    @classmethod
    def from_instance(cls, instance: Mapping[str, Any]) -> "InstanceLimits":
        """From an Instance entity (v2: `domain`) or a V1_Instance (`uri`)."""
        config = instance.get("configuration")
        limits = cls.from_configuration(config if isinstance(config, Mapping) else {})
        domain = instance.get("domain") or instance.get("uri")
        return replace(limits, domain=domain if isinstance(domain, str) and domain else None)

    @classmethod
    def from_configuration(cls, config: Mapping[str, Any]) -> "InstanceLimits":
        """From an instance's `configuration` object; missing values keep the defaults."""
        statuses = config.get("statuses") if isinstance(config.get("statuses"), Mapping) else {}
        media = config.get("media_attachments") if isinstance(config.get("media_attachments"), Mapping) else {}
        default = cls()

        def pick(section: Mapping, key: str) -> int:
            value = section.get(key)
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
            return value if ok else getattr(default, key)

        mimes = media.get("supported_mime_types")
        return cls(
            max_characters=pick(statuses, "max_characters"),
            characters_reserved_per_url=pick(statuses, "characters_reserved_per_url"),
            max_media_attachments=pick(statuses, "max_media_attachments"),
            description_limit=pick(media, "description_limit"),
            image_size_limit=pick(media, "image_size_limit"),
            video_size_limit=pick(media, "video_size_limit"),
            image_matrix_limit=pick(media, "image_matrix_limit"),
            video_matrix_limit=pick(media, "video_matrix_limit"),
            supported_mime_types=tuple(m for m in mimes if isinstance(m, str)) if isinstance(mimes, list)
            else DEFAULT_MIME_TYPES,
        )
