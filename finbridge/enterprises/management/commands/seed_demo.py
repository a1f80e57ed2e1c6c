"""`manage.py seed_demo [--enterprises N] [--if-empty] [--seed S]`: load the demo district.

The loader (finbridge/enterprises/demo.py) writes directly in batches, bypassing the per-row services;
demo data has no record-history rows. See docs/performance.md for timings at a million enterprises.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from finbridge.enterprises.demo import (
    DEFAULT_ENTERPRISES,
    DEFAULT_SEED,
    MIN_ENTERPRISES,
    DemoDataPresent,
    demo_data_present,
    seed_demo,
)


class Command(BaseCommand):
    help = (
        "Load the demo district (Pingshan): organisations, demo logins, enterprises, consents, then each module's "
        "demo data (products, demands, loans)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enterprises",
            type=int,
            default=DEFAULT_ENTERPRISES,
            help=f"How many enterprises to create (default {DEFAULT_ENTERPRISES}, at least {MIN_ENTERPRISES}).",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the demo district already exists.")
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed (default {DEFAULT_SEED}); same seed, same data.",
        )

    def handle(self, *args: Any, enterprises: int, if_empty: bool, seed: int, **options: Any) -> None:
        if enterprises < MIN_ENTERPRISES:
            raise CommandError(f"--enterprises must be at least {MIN_ENTERPRISES}.")
        if if_empty and demo_data_present():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            return
        started = time.perf_counter()
        try:
            report = seed_demo(enterprises=enterprises, seed=seed, progress=self._progress(enterprises))
        except DemoDataPresent:
            raise CommandError(
                "Demo data is already loaded (the demo district exists). Use an empty database, or --if-empty."
            ) from None
        extras = self._run_module_loaders(seed)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded in {seconds:.1f} s: {report.enterprises} enterprises, "
                f"{report.organisations} organisations, {report.users} demo logins, {report.consents} consents, "
                f"{report.financials} yearly figures, {report.contacts} contacts, "
                f"{report.cluster_tags} cluster tags, {report.audit_events} audit events"
                + "".join(f", {count} {name}" for name, count in extras.items())
                + "."
            )
        )

    def _run_module_loaders(self, seed: int) -> dict[str, int]:
        """Run the other modules' demo loaders (settings.FINBRIDGE_DEMO_LOADERS) on top of the registry."""
        written: dict[str, int] = {}
        for path in settings.FINBRIDGE_DEMO_LOADERS:
            written.update(import_string(path)(seed=seed))
        return written

    def _progress(self, total: int):
        """Report progress every 50,000 enterprises on large loads (silent for the default size)."""
        step = 50_000

        def report(done: int, count: int) -> None:
            if count >= step and (done % step == 0 or done == count):
                self.stdout.write(f"  {done:,} / {count:,} generated enterprises written")

        return report if total >= step else None
