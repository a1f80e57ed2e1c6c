"""Helpers for the test suites of every app (imported by tests only)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from hypothesis import HealthCheck, settings

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


def fuzz_settings(max_examples: int, **overrides: Any) -> settings:
    """hypothesis settings for schemathesis runs: `max_examples` per operation, capped by the environment
    variable FINBRIDGE_FUZZ_EXAMPLES when set (the PostgreSQL phase of CI fuzzes with fewer examples)."""
    cap = os.environ.get("FINBRIDGE_FUZZ_EXAMPLES")
    examples = min(max_examples, int(cap)) if cap else max_examples
    options = {"deadline": None, "suppress_health_check": list(HealthCheck), "print_blob": True, **overrides}
    return settings(max_examples=examples, **options)


@contextmanager
def wsgi_requests_keep_the_test_connection() -> Iterator[None]:
    """Requests sent through the plain WSGI handler (schemathesis) end with a signal that closes a connection
    inside a transaction: the test's own, on PostgreSQL. Django's test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
