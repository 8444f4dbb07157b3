"""The README stays a page a newcomer reads, and the docs never point at nothing.

- README.md has at most 300 lines and opens with the two commands (set up + `dvc repro`, set up +
  `python -m pytest`) in its first code block, before any section.
- Every path in the README's Layout code block exists. The block's convention: `#` starts a
  comment; a line that starts (at column 0) with a folder (`name/`) lists what is inside that
  folder, on the line and on the indented lines below it; any other line at column 0 lists paths
  from the repository root. A token is a path when it ends in `/`, contains `/` or ends in a
  known file extension.
- Every relative Markdown link in README.md and docs/*.md points to an existing file (the
  `#anchor` part is not checked).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COMMANDS = [
    "bash scripts/setup.sh && . .venv/bin/activate && dvc repro",
    "bash scripts/setup.sh && . .venv/bin/activate && python -m pytest",
]
EXTENSIONS = (".py", ".yaml", ".yml", ".md", ".toml", ".lock", ".in", ".sh", ".json", ".j2", ".txt", ".cfg")
FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.M | re.S)
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks of a Markdown text, without their fence lines."""
    return [b.split("\n", 1)[1].rsplit("\n", 1)[0] for b in FENCE.findall(text)]


def layout_block(text: str) -> str:
    section = text.split("\n## Layout", 1)
    assert len(section) == 2, "README.md has no '## Layout' section"
    blocks = code_blocks(section[1].split("\n## ", 1)[0])
    assert blocks, "README.md's Layout section has no code block"
    return blocks[0]


def looks_like_path(token: str) -> bool:
    if "<" in token or ">" in token or "*" in token or token.startswith(("`", "(", "$")):
        return False
    return token.endswith("/") or "/" in token or token.endswith(EXTENSIONS)


def layout_paths(block: str) -> list[str]:
    """Paths named in a Layout block, relative to the repository root (see the module docstring)."""
    paths, base = [], ""
    for line in block.splitlines():
        body = re.split(r"(?:^|\s)#", line, maxsplit=1)[0]
        tokens = body.split()
        if not tokens:
            continue
        if not line[0].isspace():  # a new entry at column 0
            if tokens[0].endswith("/"):
                base = tokens[0]
                paths.append(base)
                tokens = tokens[1:]
            else:
                base = ""
        paths += [base + t for t in tokens if looks_like_path(t)]
    return paths


def relative_links(text: str) -> list[str]:
    """Link targets that are neither absolute URLs nor pure anchors, outside code."""
    text = FENCE.sub("", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    out = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue
        out.append(target.split("#", 1)[0])
    return out


def test_readme_is_short_and_starts_with_the_two_commands():
    text = README.read_text()
    n = len(text.splitlines())
    assert n <= 300, f"README.md has {n} lines; keep it at most 300 (move details to docs/)"
    before_sections = text.split("\n## ", 1)[0]
    blocks = code_blocks(before_sections)
    assert blocks, "README.md must open with a code block holding the two commands"
    first = [line.split("#", 1)[0].strip() for line in blocks[0].splitlines() if line.strip()]
    assert first[:2] == COMMANDS, f"README.md's first code block must start with {COMMANDS}, got {first[:2]}"


def test_layout_parser_follows_the_convention():
    block = (
        "README.md  .ci/run  data/   # a comment naming missing/ paths.py\n"
        "src/pkg/   a.py  sub/b.py  (note)  data/<name>/\n"
        "           c.yaml   # continued\n"
        "tests/     # only a comment\n"
    )
    assert layout_paths(block) == [
        "README.md",
        ".ci/run",
        "data/",
        "src/pkg/",
        "src/pkg/a.py",
        "src/pkg/sub/b.py",
        "src/pkg/c.yaml",
        "tests/",
    ]


def test_every_path_in_the_readme_layout_exists():
    paths = layout_paths(layout_block(README.read_text()))
    assert len(paths) > 20, paths  # the parser found the layout, not nothing
    missing = [p for p in paths if not (ROOT / p).exists() or (p.endswith("/") and not (ROOT / p).is_dir())]
    assert not missing, f"README.md's Layout names paths that do not exist: {missing}"


def test_the_readme_layout_names_every_module_and_stage():
    """The converse: a module added to src/ganlab (package __init__ files aside) or a stage
    script added to stages/ is missing from the Layout until it is written there."""
    named = set(layout_paths(layout_block(README.read_text())))
    files = [p for p in sorted((ROOT / "src" / "ganlab").rglob("*.py")) if p.name != "__init__.py"]
    files += sorted((ROOT / "stages").glob("*.py"))
    missing = [p.relative_to(ROOT).as_posix() for p in files if p.relative_to(ROOT).as_posix() not in named]
    assert not missing, f"README.md's Layout does not name: {missing}"


@pytest.mark.parametrize("doc", [README] + sorted((ROOT / "docs").glob("*.md")), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(doc):
    broken = [t for t in relative_links(doc.read_text()) if t and not (doc.parent / t).exists()]
    assert not broken, f"{doc.relative_to(ROOT)} links to files that do not exist: {broken}"


def test_docs_folder_has_the_pages_the_readme_promises():
    for page in ("README.md", "params.md", "results.md", "timing.md", "metrics.md", "pipeline.md"):
        assert (ROOT / "docs" / page).is_file(), page
