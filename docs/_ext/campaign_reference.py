"""The ``campaign-keys`` directive: the reference table of campaign specifications.

The table is rendered from :data:`rom.nonintrusive.spec.SCHEMA`, the declaration that
:class:`rom.nonintrusive.spec.Spec` validates against, so the documentation lists
exactly the sections and keys that a specification may hold.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _cell(text: str) -> str:
    return text.replace("\n", " ").strip()


def _default(text: str) -> str:
    """A value as code (``"lhs"``, ``16``); words (``(required)``) as they are."""
    text = _cell(text)
    return f"``{text}``" if text and " " not in text and not text.startswith("(") else text


def table_lines(schema: dict) -> list[str]:
    """reStructuredText of a list-table: section, key, type, default, meaning."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 14 14 22 16 34",
        "",
        "   * - Section",
        "     - Key",
        "     - Type",
        "     - Default",
        "     - Meaning",
    ]
    for section, (about, keys) in schema.items():
        first = True
        for key, spec in keys.items():
            head = f"``[{section}]`` {about}" if first else ""
            first = False
            lines += [
                f"   * - {_cell(head)}".rstrip(),
                f"     - ``{key}``",
                f"     - ``{spec.type}``",
                f"     - {_default(spec.default)}".rstrip(),
                f"     - {_cell(spec.description)}".rstrip(),
            ]
    return lines


class CampaignKeys(SphinxDirective):
    """Insert the table of every section and key of a campaign specification."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from rom.nonintrusive.spec import SCHEMA

        container = nodes.container()
        self.state.nested_parse(StringList(table_lines(SCHEMA), "spec.py"), 0, container)
        return container.children


def setup(app):
    app.add_directive("campaign-keys", CampaignKeys)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
