"""Database helpers shared by migrations: statements that exist only on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_on_postgresql(statements: Sequence[str]) -> Callable[[Any, Any], None]:
    """A RunPython function executing `statements` on PostgreSQL and doing nothing on other databases."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run
