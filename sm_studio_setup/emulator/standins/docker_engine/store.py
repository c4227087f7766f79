"""The stand-in daemon's images: what builds made and pulls brought, their tags and, once
pushed, their repository digests. Thread-safe; kept by the emulator across the stand-in's
restarts (``enabled`` off and on), like a daemon's image store across client sessions."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..references import normalize, split_tag
from .wire import ENGINE_VERSION, HttpError

_HEX = re.compile(r"^(?:sha256:)?([0-9a-f]{1,64})$")


@dataclass
class Image:
    id: str
    config: str
    labels: dict[str, str] = field(default_factory=dict)
    architecture: str = "amd64"
    created: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    )
    repo_digests: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


class ImageStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._images: dict[str, Image] = {}
        self._tags: dict[str, str] = {}  # normalized reference -> image id
        self._pulled: set[str] = set()  # base images present, by normalized reference

    # -- reading -----------------------------------------------------------------------------

    def find(self, name: str) -> Image | None:
        """An image by reference (``:latest`` implied), full id or unique id prefix."""
        with self._lock:
            return self._find(name)

    def _find(self, name: str) -> Image | None:
        image_id = self._tags.get(normalize(name)) if name else None
        if image_id is not None:
            return self._images.get(image_id)
        if name in self._images:
            return self._images[name]
        match = _HEX.match(name)
        if match is None:
            return None
        prefix = "sha256:" + match.group(1)
        found = [i for key, i in self._images.items() if key.startswith(prefix)]
        return found[0] if len(found) == 1 else None

    def tags_of(self, image_id: str) -> list[str]:
        with self._lock:
            return sorted(ref for ref, i in self._tags.items() if i == image_id)

    def references(self, repository: str) -> list[tuple[str, Image]]:
        """(tag, image) for every tag of ``repository``."""
        with self._lock:
            found = []
            for ref, image_id in sorted(self._tags.items()):
                repo, tag = split_tag(ref)
                if repo == repository and image_id in self._images:
                    found.append((tag, self._images[image_id]))
            return found

    def has(self, image_id: str) -> bool:
        with self._lock:
            return image_id in self._images

    def inspect(self, name: str) -> dict[str, Any]:
        """GET /images/{name}/json, in the shape of Docker Engine API 1.41's ImageInspect."""
        with self._lock:
            image = self._find(name)
            if image is None:
                raise HttpError(404, f"No such image: {name}")
            tags = sorted(ref for ref, i in self._tags.items() if i == image.id)
            return {
                "Id": image.id,
                "RepoTags": tags,
                "RepoDigests": list(image.repo_digests),
                "Parent": "",
                "Comment": "",
                "Created": image.created,
                "Container": "",
                "DockerVersion": ENGINE_VERSION,
                "Author": "",
                "Config": {"Labels": dict(image.labels) or None, "Env": None, "Cmd": None},
                "Architecture": image.architecture,
                "Os": "linux",
                "Size": len(image.config),
                "VirtualSize": len(image.config),
                "RootFS": {"Type": "layers", "Layers": [image.id]},
                "Metadata": {"LastTagTime": image.created},
            }

    # -- changing ----------------------------------------------------------------------------

    def add(self, image: Image, tags: list[str]) -> None:
        with self._lock:
            self._images.setdefault(image.id, image)
            for tag in tags:
                self._tags[normalize(tag)] = image.id

    def tag(self, name: str, reference: str) -> None:
        with self._lock:
            image = self._find(name)
            if image is None:
                raise HttpError(404, f"No such image: {name}")
            self._tags[normalize(reference)] = image.id

    def pulled(self, reference: str) -> bool:
        with self._lock:
            return normalize(reference) in self._pulled

    def mark_pulled(self, reference: str) -> None:
        with self._lock:
            self._pulled.add(normalize(reference))

    def record_push(self, image_id: str, repository: str, digest: str) -> None:
        with self._lock:
            image = self._images.get(image_id)
            entry = f"{repository}@{digest}"
            if image is not None and entry not in image.repo_digests:
                image.repo_digests.append(entry)

    def delete(self, name: str, *, force: bool) -> list[dict[str, str]]:
        """DELETE /images/{name}: untag a reference, removing the image with its last tag;
        by id, the image and all its tags (with ``force`` when it has several)."""
        with self._lock:
            image = self._find(name)
            if image is None:
                raise HttpError(404, f"No such image: {name}")
            tags = sorted(ref for ref, i in self._tags.items() if i == image.id)
            by_reference = normalize(name) in self._tags
            if not by_reference and len(tags) > 1 and not force:
                raise HttpError(
                    409,
                    f"conflict: unable to delete {image.short} (must be forced) - image is "
                    "referenced in multiple repositories",
                )
            untag = [normalize(name)] if by_reference else tags
            answer = [{"Untagged": ref} for ref in untag]
            for ref in untag:
                del self._tags[ref]
            if not any(i == image.id for i in self._tags.values()):
                del self._images[image.id]
                answer.append({"Deleted": image.id})
            return answer
