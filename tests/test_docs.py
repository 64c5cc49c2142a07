"""Documentation stays true where it is cheap to check: every test file or module path that a
document cites exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_path_cited_in_the_docs_exists():
    cited = set()
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for path in re.findall(r"`((?:tests|xinyong|bench)/[\w/.\-]+\.(?:py|yaml|md))(?:::\w+)?`", doc.read_text(encoding="utf-8")):
            cited.add((doc.name, path))
    assert cited
    missing = sorted((doc, path) for doc, path in cited if not (ROOT / path).exists())
    assert not missing, missing
