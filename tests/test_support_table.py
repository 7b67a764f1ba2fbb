"""The README's support table is the generated one, and covers exactly the routes the protocol matrix runs."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_protocol_matrix import FACE_KINDS, UPSTREAM_KINDS
from tests.support_table import BEGIN, END, FACES, PROVIDERS

README = Path(__file__).parent.parent / "README.md"


def test_the_readme_table_covers_every_route_of_the_matrix() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index(BEGIN) : text.index(END)]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]

    assert (tuple(FACES), set(PROVIDERS)) == (FACE_KINDS, set(UPSTREAM_KINDS))
    assert rows[0] == "| face \\ provider | " + " | ".join(PROVIDERS) + " |"
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]] == list(FACES.values())
    for row in rows[1:]:
        cells = row.strip("| ").split(" | ")[1:]
        assert len(cells) == len(PROVIDERS)
        assert all(cell.startswith("yes (") for cell in cells), row
