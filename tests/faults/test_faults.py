"""The bounded form of `make faults` (tests/faults/harness.py): a smaller burst through the same faults."""

from __future__ import annotations

from tests.faults.harness import KINDS, run


async def test_a_burst_through_service_nats_postgres_and_smtp_faults_loses_nothing_and_applies_nothing_twice(
) -> None:
    report = await run(100, pause=1.5)
    print("\n" + report.table())
    assert len(report.faults) == 7  # the four services, NATS, PostgreSQL, SMTP
    for kind in KINDS:
        assert report.writes[f"{kind}: accepted"] > 0, kind
        assert report.writes[f"{kind}: error"] == 0, report.refusals
    assert report.lost == 0
    assert report.applied_twice == 0
    assert report.mails["sent"] == report.mails["expected"] > 0
    assert sum(report.outboxes_left.values()) == 0 and report.dead_letters == 0
