"""Helpers for the test suites of every app (imported by tests only)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

from finbridge.core.errors import DomainError


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment in threads (PostgreSQL concurrency tests); each result is a return
    value or the DomainError raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except DomainError as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
