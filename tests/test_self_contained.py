"""A clone of the repository must test, run and build with nothing beside it.

The project was designed from documents that sit next to its first checkout; none of them may
be read (or cited as if they were here) by anything the repository holds: a user's clone, a
fork or an sdist has nothing beside it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Spelled in pieces so that this file does not match itself.
_SHARED = "shared"
_QUOTED = "[\"']" + _SHARED + "[\"']"
_OUTSIDE = re.compile(
    "|".join(
        (
            # The folder beside the checkout, relative or absolute, and pathlib joins naming
            # it (written here without its name, so that this file does not match itself).
            r"\.\./" + _SHARED + r"\b",
            r"/work/" + _SHARED + r"\b",
            _QUOTED + r"\s*/",
            r"/\s*" + _QUOTED,
        )
    )
)
# Documents that exist only beside the first checkout; the repository has its own
# (docs/ARCHITECTURE.md and the docs next to it).
_OUTSIDE_DOCS = re.compile(r"\b(?:DESIGN|LAYOUT)\.md\b|\bFACTS-[\w-]+\.md\b")
_BINARY = {".png", ".jpg", ".gif", ".ico", ".woff", ".woff2", ".zip"}


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode == 0:
        return [REPO / name for name in listed.stdout.decode().split("\0") if name]
    # An sdist has no .git: every file but what the tools generate.
    skip = {".git", ".venv", "node_modules", "lib", "labextension", "__pycache__"}
    return [
        path
        for path in REPO.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(REPO).parts)
    ]


def _texts() -> list[tuple[str, str]]:
    texts = []
    for path in tracked_files():
        if path.suffix in _BINARY or path.name.endswith(".lock") or not path.is_file():
            continue
        try:
            texts.append((str(path.relative_to(REPO)), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return texts


def test_no_tracked_file_reaches_outside_the_checkout() -> None:
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for name, text in _texts()
        for match in _OUTSIDE.finditer(text)
    ]
    assert found == [], "paths outside the repository:\n" + "\n".join(found)


def test_cited_documents_are_in_the_repository() -> None:
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for name, text in _texts()
        for match in _OUTSIDE_DOCS.finditer(text)
    ]
    assert found == [], "documents cited that the repository does not hold:\n" + "\n".join(found)
    assert (REPO / "docs" / "ARCHITECTURE.md").is_file()


def test_the_pattern_catches_what_it_is_for() -> None:
    # The checks above pass trivially if the patterns match nothing: show that they match.
    dots = ".."
    assert _OUTSIDE.search(f"see {dots}/{_SHARED}/fixtures/x.json")
    assert _OUTSIDE.search(f'Path(__file__).parents[2].parent / "{_SHARED}" / "fixtures"')
    assert _OUTSIDE_DOCS.search("(" + "DESIGN" + ".md)")
    assert _OUTSIDE_DOCS.search("FACTS-" + "iam.md")
    assert not _OUTSIDE.search("a shared space; shared-data; sm_studio_setup_shared")
