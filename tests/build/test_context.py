"""The build context is what Docker would send: `.dockerignore` as Docker documents it.

The table is the `.dockerignore` section of Docker's documentation (docs.docker.com, "Build
context"), case by case: each row is a `.dockerignore`, the files of a folder, and what Docker
says it sends.
"""

from __future__ import annotations

import os
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from sm_studio_setup.errors import BadInput
from sm_studio_setup.service.build.context import read_context, zip_chunks

# (.dockerignore, files in the folder, the files Docker sends; Dockerfile is always there)
DOCKER_DOCS = [
    pytest.param(
        "# comment\n",
        ["# comment", "comment"],
        ["# comment", "comment"],
        id="a # line is a comment, not a pattern",
    ),
    pytest.param(
        "*/temp*\n",
        ["somedir/temporary.txt", "somedir/temp/x", "temporary.txt", "a/b/temp.txt"],
        ["temporary.txt", "a/b/temp.txt"],
        id="*/temp* excludes temp* in any immediate subdirectory",
    ),
    pytest.param(
        "*/*/temp*\n",
        ["somedir/subdir/temporary.txt", "somedir/temporary.txt"],
        ["somedir/temporary.txt"],
        id="*/*/temp* excludes temp* two levels below the root",
    ),
    pytest.param(
        "temp?\n",
        ["tempa", "tempb", "temp", "tempab", "sub/tempa"],
        ["temp", "tempab", "sub/tempa"],
        id="temp? excludes a one-character extension of temp in the root",
    ),
    pytest.param(
        "**/*.go\n",
        ["main.go", "a/b/c.go", "a/go.mod"],
        ["a/go.mod"],
        id="**/*.go excludes .go files in every directory, the root included",
    ),
    pytest.param(
        "*.md\n!README.md\n",
        ["a.md", "README.md", "docs/x.md"],
        ["README.md", "docs/x.md"],
        id="*.md with !README.md: every root markdown file but README.md",
    ),
    pytest.param(
        "*.md\n!README*.md\nREADME-secret.md\n",
        ["README-x.md", "README-secret.md", "other.md"],
        ["README-x.md"],
        id="the last matching line decides: README-secret.md stays out",
    ),
    pytest.param(
        "*.md\nREADME-secret.md\n!README*.md\n",
        ["README-x.md", "README-secret.md", "other.md"],
        ["README-x.md", "README-secret.md"],
        id="the last matching line decides: !README*.md brings README-secret.md back",
    ),
    pytest.param(
        "Dockerfile\n.dockerignore\n",
        ["app.py"],
        [".dockerignore", "app.py"],
        id="the Dockerfile and .dockerignore are sent even when excluded",
    ),
    pytest.param(
        "*\n!src\n",
        ["src/a.py", "src/deep/b.py", "notes.txt", "data/x.csv"],
        ["src/a.py", "src/deep/b.py"],
        id="* then ! exceptions: name what to include",
    ),
    pytest.param(
        "/foo/bar\n",
        ["foo/bar", "bar", "x/foo/bar"],
        ["bar", "x/foo/bar"],
        id="/foo/bar and foo/bar: the root is both the working and the root directory",
    ),
    pytest.param(
        "foo/bar\n",
        ["foo/bar", "bar", "x/foo/bar"],
        ["bar", "x/foo/bar"],
        id="foo/bar is /foo/bar",
    ),
    pytest.param(
        ".\n",
        ["a.txt", "b/c.txt"],
        ["a.txt", "b/c.txt"],
        id="the pattern . is ignored, for historical reasons",
    ),
    pytest.param(
        "   *.log   \n\n",
        ["x.log", "x.txt"],
        ["x.txt"],
        id="leading and trailing whitespace is removed; blank lines are ignored",
    ),
    pytest.param(
        "foo/../bar\n",
        ["bar", "foo/x"],
        ["foo/x"],
        id="patterns are cleaned like Go's filepath.Clean: foo/../bar is bar",
    ),
]


def _tree(root: Path, ignore: str, files: list[str]) -> None:
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / ".dockerignore").write_text(ignore)
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


@pytest.mark.parametrize(("ignore", "files", "sent"), DOCKER_DOCS)
def test_dockerignore_as_docker_documents_it(
    tmp_path: Path, ignore: str, files: list[str], sent: list[str]
) -> None:
    _tree(tmp_path, ignore, files)
    context = read_context(str(tmp_path), "Dockerfile")
    expected = {"Dockerfile", *sent}
    if ".dockerignore" not in sent and "Dockerfile\n.dockerignore" not in ignore:
        expected.add(".dockerignore")
    assert {f.path for f in context.files} == expected


def test_the_zip_holds_exactly_the_files_sent(tmp_path: Path) -> None:
    _tree(tmp_path, "*.md\n!README.md\n", ["README.md", "a.md", "src/main.py"])
    context = read_context(str(tmp_path), "Dockerfile")
    archive = zipfile.ZipFile(BytesIO(b"".join(zip_chunks(context))))
    assert sorted(archive.namelist()) == sorted(f.path for f in context.files)
    assert archive.read("src/main.py") == b"src/main.py"
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())


def test_a_link_travels_as_a_link_never_as_what_it_points_to(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "credentials"
    secret.parent.mkdir()
    secret.write_text("aws_secret_access_key = do-not-upload")
    root = tmp_path / "ctx"
    root.mkdir()
    _tree(root, "", [])
    os.symlink(secret, root / "creds")
    context = read_context(str(root), "Dockerfile")
    link = next(f for f in context.files if f.path == "creds")
    assert link.link == str(secret)
    data = b"".join(zip_chunks(context))
    assert b"do-not-upload" not in data


def test_ignored_data_is_neither_read_nor_sent(tmp_path: Path) -> None:
    # 300 MB in sparse files, a .git and a virtualenv: none of it is read, counted as sent or
    # zipped.
    _tree(tmp_path, ".git\n.venv\ndata/\n", ["src/app.py"])
    (tmp_path / "data").mkdir()
    with open(tmp_path / "data" / "weights.bin", "wb") as big:
        big.truncate(300 * 1024 * 1024)
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "pack").write_bytes(b"x" * 1000)
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "site.py").write_text("import os\n")
    context = read_context(str(tmp_path), "Dockerfile")
    assert {f.path for f in context.files} == {"Dockerfile", ".dockerignore", "src/app.py"}
    assert context.size < 1000
    assert context.ignored == 3  # .git, .venv and data/: left out whole, never walked
    assert len(b"".join(zip_chunks(context))) < 2000


@pytest.mark.parametrize(
    ("make", "dockerfile", "field", "words"),
    [
        (lambda root: None, "Dockerfile", "context", "does not exist"),
        (lambda root: root.write_text("x"), "Dockerfile", "context", "is not a folder"),
        (lambda root: root.mkdir(), "Dockerfile", "context", "is empty"),
        (
            lambda root: (root.mkdir(), (root / "app.py").write_text("")),
            "Dockerfile",
            "context",
            "There is no Dockerfile in",
        ),
        (
            lambda root: (root.mkdir(), (root / "app.py").write_text("")),
            "../Dockerfile",
            "dockerfile",
            "outside the build folder",
        ),
    ],
    ids=["missing", "a file", "empty", "no Dockerfile", "Dockerfile outside"],
)
def test_a_wrong_folder_is_one_sentence(
    tmp_path: Path, make: object, dockerfile: str, field: str, words: str
) -> None:
    root = tmp_path / "ctx"
    make(root)  # type: ignore[operator]
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(BadInput) as err:
        read_context(str(root), dockerfile)
    assert err.value.field == field
    assert words in err.value.message
    assert err.value.message.count(". ") == 0  # one sentence
    assert "Dockerfile Dockerfile" not in err.value.message
