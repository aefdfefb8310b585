"""The tables of an HTML page as rows of cell texts (stdlib parser; lxml is not a dependency)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(page: str) -> list[list[list[str]]]:
    """Every table in ``page``: its rows, each a list of cell texts (header row first)."""
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def html_records(table: list[list[str]]) -> list[dict[str, str]]:
    """A table with a header row as one mapping per row."""
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def section(page: str, title: str) -> str:
    """The part of a report page under ``<h2>title</h2>``, up to the next heading."""
    return page.split(f"<h2>{title}</h2>")[1].split("<h2>")[0]
