"""Time-bound out of office: set by the specialist (in their region's zone) or a manager; from its start the claimed
items go to the backup (by the beat's sweep), at its end the undecided ones come back; who covers whom today."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import selectors, services
from approvals.models import Submission
from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import Notification, OpportunityEvent, User
from tests.ordermgmt.factories import SpecialistFactory, ready_opportunity

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")
START = datetime(2026, 11, 30, 9, 0, tzinfo=PT)  # Monday
END = datetime(2026, 12, 1, 17, 0, tzinfo=PT)  # Tuesday


def _claimed(rep, specialist, name: str):
    opp = ready_opportunity(owner=rep, name=name, start_date=date(2026, 12, 10))
    services.approval_submit(opportunity_id=opp.pk, actor=rep, now=datetime(2026, 11, 27, 9, 0, tzinfo=PT))
    services.approval_claim(opportunity_id=opp.pk, actor=specialist)
    return opp


def test_items_go_to_the_backup_at_the_start_and_the_undecided_come_back_at_the_end(rep, specialist):
    backup = SpecialistFactory(username="spec_backup")
    first, second = _claimed(rep, specialist, "First"), _claimed(rep, specialist, "Second")
    before = datetime(2026, 11, 29, 12, 0, tzinfo=PT)
    moved = services.specialist_set_out_of_office(
        actor=specialist, specialist=specialist, start=START, end=END, backup=backup, now=before
    )
    assert moved == 0  # not started yet: nothing moves
    assert services.coverage_sweep(now=datetime(2026, 11, 30, 8, 59, tzinfo=PT)) == {"handed_over": 0, "handed_back": 0}

    assert services.coverage_sweep(now=START) == {"handed_over": 2, "handed_back": 0}
    assert set(Submission.objects.values_list("claimed_by__username", flat=True)) == {"spec_backup"}
    assert services.coverage_sweep(now=START) == {"handed_over": 0, "handed_back": 0}  # idempotent
    event = OpportunityEvent.objects.filter(opportunity=first, action="reassigned").last()
    assert (event.on_behalf_of, event.changes["claimed_by"]) == (specialist, ["spec_amer", "spec_backup"])

    services.approval_approve(opportunity_id=first.pk, actor=backup)  # decided while away: stays decided
    assert services.coverage_sweep(now=END) == {"handed_over": 0, "handed_back": 1}
    assert Submission.objects.get(opportunity=second).claimed_by == specialist
    assert Submission.objects.get(opportunity=first).om_decided_by == backup


def test_an_absence_already_started_hands_over_at_once_and_clearing_it_hands_back(rep, specialist, manager):
    backup = SpecialistFactory(username="spec_backup")
    opp = _claimed(rep, specialist, "Now")
    assert (
        services.specialist_set_out_of_office(
            actor=manager, specialist=specialist, start=START, end=None, backup=backup, now=END
        )
        == 1
    )
    assert Submission.objects.get(opportunity=opp).claimed_by == backup
    # while away, what is meant for them goes to the backup
    services.approval_escalate(opportunity_id=opp.pk, actor=rep, reason="urgent")
    assert Notification.objects.filter(verb="escalated", recipient=backup).exists()
    assert (
        services.specialist_set_out_of_office(
            actor=specialist, specialist=specialist, start=None, end=None, backup=None, now=END
        )
        == 1
    )
    assert Submission.objects.get(opportunity=opp).claimed_by == specialist


def test_who_may_set_an_absence_and_its_rules(specialist, rep):
    colleague = SpecialistFactory(username="spec_colleague")
    with pytest.raises(PermissionDeniedError):
        services.specialist_set_out_of_office(
            actor=colleague, specialist=specialist, start=START, end=END, backup=colleague
        )
    with pytest.raises(ValidationError) as missing:
        services.specialist_set_out_of_office(
            actor=specialist, specialist=specialist, start=START, end=END, backup=None
        )
    assert "backup" in missing.value.message_dict
    with pytest.raises(ValidationError) as order:
        services.specialist_set_out_of_office(
            actor=specialist, specialist=specialist, start=END, end=START, backup=colleague
        )
    assert "end" in order.value.message_dict
    with pytest.raises(ValidationError):
        services.specialist_set_out_of_office(actor=specialist, specialist=specialist, start=START, end=END, backup=rep)


def test_a_specialist_types_their_absence_in_their_regions_zone(client, specialist, emea_specialist):
    backup = SpecialistFactory(username="spec_backup")
    for person, expected in (
        (specialist, datetime(2026, 12, 7, 17, 0, tzinfo=UTC)),
        (emea_specialist, datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
    ):
        client.force_login(person)
        page = client.get(reverse("approvals:my_out_of_office")).content.decode()
        assert person.region.timezone in page  # the zone is named on the form
        response = client.post(
            reverse("approvals:my_out_of_office"),
            {"start": "2026-12-07T09:00", "end": "2026-12-08T17:00", "backup": backup.pk},
        )
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.out_of_office_from == expected  # 09:00 in Los Angeles is 17:00 UTC; in Etc/GMT, 09:00 UTC


def test_managers_see_who_covers_whom_today(client, manager, specialist):
    backup = SpecialistFactory(username="spec_backup", first_name="Bea", last_name="Backup")
    services.specialist_set_out_of_office(
        actor=manager, specialist=specialist, start=datetime(2026, 1, 1, tzinfo=UTC), end=None, backup=backup
    )
    assert [u.pk for u in selectors.out_of_office_now()] == [specialist.pk]
    client.force_login(manager)
    page = client.get(reverse("approvals:team")).content.decode()
    assert "covered by <strong>Bea Backup</strong>" in page
    assert User.objects.away_at(datetime(2025, 12, 31, tzinfo=UTC)).count() == 0


def test_dated_coverage_of_another_region_holds_for_its_days_only(manager, specialist, emea_rep, client):
    import time_machine

    from ordermgmt.models import User as Person

    services.specialist_set_coverage(
        actor=manager, specialist=specialist, regions=["EMEA"], starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3)
    )
    with pytest.raises(ValidationError):
        services.specialist_set_coverage(
            actor=manager, specialist=specialist, regions=["EMEA"], starts_on=date(2026, 12, 1)
        )
    emea_deal = ready_opportunity(owner=emea_rep, start_date=date(2026, 12, 20))
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=UTC), tick=False):
        assert Person.objects.get(pk=specialist.pk).region_codes() == ["AMER"]
    with time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False):
        assert Person.objects.get(pk=specialist.pk).region_codes() == ["AMER", "EMEA"]
        services.approval_submit(opportunity_id=emea_deal.pk, actor=emea_rep)
        # the new EMEA submission tells whoever works the EMEA queue today, dated cover included
        assert Notification.objects.filter(verb="submitted", recipient=specialist).exists()
        client.force_login(manager)
        assert "covers the EMEA queue until 2026-12-03" in client.get(reverse("approvals:team")).content.decode()
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False):
        assert Person.objects.get(pk=specialist.pk).region_codes() == ["AMER"]
