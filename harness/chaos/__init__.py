"""Chaos runs of whole migrations: faults on both stand-ins, the Functions host SIGKILLed and restarted.

One run (``chaos_run``, in ``run.py``):

1. starts the Twilio stand-in and the ACS stand-in (time-scale 0.01) with ``fault_rate`` of every request
   answered by a fault, split evenly between the kinds (Twilio: 429, 500, 503, dropped connection; ACS:
   the same plus ``lost``, the write stored and its answer lost);
2. seeds Twilio with a seeder profile (``realistic`` by default) through the real SDK;
3. serves the app with the host stand-in as a separate process (``harness.functions_host``; the queue workers
   live there) and starts a migration with ``POST /api/migrations``;
4. SIGKILLs the host at seeded points (fractions of the messages sent to ACS, one maybe during planning),
   restarts it each time, and waits until the run finishes;
5. turns the faults off and checks every Twilio message against the ACS stand-in's admin listing and the
   blob container (``oracle.py``): exactly once, in order, author, content, metadata, media, read horizons,
   run counts.

``tests/chaos/`` asserts on the report; ``bench/chaos.py`` prints it for more seeds.
"""

from __future__ import annotations

from harness.chaos.oracle import check_migration
from harness.chaos.report import ChaosReport
from harness.chaos.run import chaos_run

__all__ = ["ChaosReport", "chaos_run", "check_migration"]
