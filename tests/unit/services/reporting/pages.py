"""Reading rendered HTML back in the tests: elements with their attributes and text, table
rows as lists of cells, every id and every link."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "br", "col", "img", "link", "input", "hr", "line", "polyline", "circle"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> list[Element]:
        found = [self]
        for child in self.children:
            found += child.walk()
        return found

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.walk() if e.tag == tag]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.open = [self.root]

    def _gap(self) -> None:
        # Elements end words (as they do on the page: cells, lines, blocks); squeeze() folds
        # the extra spaces.
        for element in self.open:
            element.text += " "

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._gap()
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self._gap()
        for n in range(len(self.open) - 1, 0, -1):
            if self.open[n].tag == tag:
                del self.open[n:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def parse(html: bytes) -> Element:
    parser = _Parser()
    parser.feed(html.decode("utf-8"))
    parser.close()
    return parser.root


def squeeze(text: str) -> str:
    return " ".join(text.split())


def cells(row: Element) -> list[str]:
    """The text of each cell of a table row."""
    return [squeeze(cell.text) for cell in row.children if cell.tag in ("th", "td")]


def rows(table: Element) -> list[list[str]]:
    return [cells(tr) for tr in table.find("tr")]


def by_id(page: Element, element_id: str) -> Element:
    found = [e for e in page.walk() if e.attrs.get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id}"
    return found[0]


def table_after(page: Element, caption: str) -> Element:
    """The table whose caption starts with `caption`."""
    for table in page.find("table"):
        heads = [c for c in table.children if c.tag == "caption"]
        if heads and squeeze(heads[0].text).startswith(caption):
            return table
    raise AssertionError(f"no table captioned {caption!r}")
