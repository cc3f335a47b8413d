"""Booking policy with hand-computed dates: the 15-day hold (closes on its date by the beat, or earlier by a manager
with a reason), the period close at 23:59 Pacific whatever the region, and the month lock after the 5th business
day of the next month."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from approvals import services
from approvals.models import Decision, Submission
from ordermgmt.exceptions import Conflict, InvalidTransition, PermissionDeniedError
from ordermgmt.models import Opportunity, OpportunityEvent
from tests.ordermgmt.factories import RepFactory, SpecialistFactory, ready_opportunity, region

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")
Status = Opportunity.ApprovalStatus


def pt(*args) -> datetime:
    return datetime(*args, tzinfo=PT)


def _approved_by_om(rep, specialist, *, start: date, submitted: datetime) -> Opportunity:
    opp = ready_opportunity(owner=rep, start_date=start)
    services.approval_submit(opportunity_id=opp.pk, actor=rep, now=submitted)
    services.approval_approve(opportunity_id=opp.pk, actor=specialist, now=submitted)
    return opp


def test_a_held_deal_is_approved_booking_on_its_date_and_closes_on_that_date_across_a_weekend(rep, specialist, billing):
    # Start Sunday 2026-11-22: more than 15 days after Monday 2026-11-02, so it books on Saturday 2026-11-07.
    opp = _approved_by_om(rep, specialist, start=date(2026, 11, 22), submitted=pt(2026, 11, 2, 10))
    assert Submission.objects.get(opportunity=opp).held_until == date(2026, 11, 7)
    services.approval_billing_approve(opportunity_id=opp.pk, actor=billing, now=pt(2026, 11, 3, 10))
    opp.refresh_from_db()
    assert (opp.approval_status, opp.close_date) == (Status.BOOKING_HELD, None)
    assert Decision.objects.get(submission__opportunity=opp, stage="billing").outcome == "approved"

    assert services.held_bookings_close(now=pt(2026, 11, 6, 23, 59)) == 0  # Friday night: not yet
    assert services.held_bookings_close(now=pt(2026, 11, 7, 0, 10)) == 1  # Saturday: its date
    opp.refresh_from_db()
    assert (opp.approval_status, opp.stage, opp.close_date) == (Status.CLOSED_WON, "closed_won", date(2026, 11, 7))
    assert opp.sold_to_email_at_close == opp.primary_quote.sold_to_contact.email
    assert services.held_bookings_close(now=pt(2026, 11, 7, 1, 10)) == 0  # idempotent
    event = OpportunityEvent.objects.filter(opportunity=opp, action="closed_won").get()
    assert (event.actor, event.comment) == (None, "Booking date reached.")


def test_a_manager_books_a_held_deal_early_with_a_reason(rep, specialist, billing, manager):
    opp = _approved_by_om(rep, specialist, start=date(2026, 11, 22), submitted=pt(2026, 11, 2, 10))
    with pytest.raises(InvalidTransition):  # not held yet
        services.approval_book_now(opportunity_id=opp.pk, actor=manager, reason="Customer asked")
    services.approval_billing_approve(opportunity_id=opp.pk, actor=billing, now=pt(2026, 11, 3, 10))
    with pytest.raises(PermissionDeniedError):
        services.approval_book_now(opportunity_id=opp.pk, actor=billing, reason="Because")
    with pytest.raises(ValidationError) as error:
        services.approval_book_now(opportunity_id=opp.pk, actor=manager, reason=" ")
    assert "reason" in error.value.message_dict
    services.approval_book_now(
        opportunity_id=opp.pk, actor=manager, reason="Start moved forward", now=pt(2026, 11, 4, 9)
    )
    opp.refresh_from_db()
    assert (opp.approval_status, opp.close_date) == (Status.CLOSED_WON, date(2026, 11, 4))
    event = OpportunityEvent.objects.get(opportunity=opp, action="closed_won")
    assert event.actor == manager
    assert event.comment == "Booked before 2026-11-07: Start moved forward"
    assert services.held_bookings_close(now=pt(2026, 11, 8, 0, 10)) == 0


@pytest.mark.parametrize("code", ["EMEA", "APAC"])
def test_the_period_closes_at_2359_pacific_whatever_the_region(code, billing):
    rep = RepFactory(region=region(code))
    specialist = SpecialistFactory(region=region(code))
    before = _approved_by_om(rep, specialist, start=date(2027, 2, 1), submitted=pt(2027, 1, 29, 3))
    after = _approved_by_om(rep, specialist, start=date(2027, 2, 1), submitted=pt(2027, 1, 29, 3))
    # 23:30 Pacific on 31 January is already 1 February in London and Manila: it still books in January (FY27-Q4).
    services.approval_billing_approve(opportunity_id=before.pk, actor=billing, now=pt(2027, 1, 31, 23, 30))
    services.approval_billing_approve(opportunity_id=after.pk, actor=billing, now=pt(2027, 2, 1, 0, 1))
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.close_date, after.close_date) == (date(2027, 1, 31), date(2027, 2, 1))


def test_a_month_locks_after_the_fifth_business_day_with_a_holiday_in_it(rep):
    opp = ready_opportunity(owner=rep)
    Opportunity.objects.filter(pk=opp.pk).update(
        approval_status=Status.CLOSED_WON, stage=Opportunity.Stage.CLOSED_WON, close_date=date(2026, 8, 20)
    )
    opp.refresh_from_db()
    # September 2026: Tue 1, Wed 2, Thu 3, Fri 4, (Labor Day Mon 7), Tue 8 = the 5th business day.
    services.booking_lock_check(opp, now=pt(2026, 9, 8, 23, 59))
    with pytest.raises(Conflict) as locked:
        services.booking_lock_check(opp, now=pt(2026, 9, 9, 0, 0, 1))
    assert locked.value.extra == {"locked_month": "2026-08"}


def test_book_now_through_the_api(as_user, rep, specialist, billing, manager):
    opp = _approved_by_om(rep, specialist, start=date(2027, 6, 30), submitted=pt(2026, 11, 2, 10))
    services.approval_billing_approve(opportunity_id=opp.pk, actor=billing)
    response = as_user(manager).post(f"/api/opportunities/{opp.pk}/book-now/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert (
        as_user(rep).post(f"/api/opportunities/{opp.pk}/book-now/", {"reason": "x"}, format="json").status_code == 403
    )
    response = as_user(manager).post(f"/api/opportunities/{opp.pk}/book-now/", {"reason": "Early"}, format="json")
    assert response.status_code == 200
    assert response.json()["approval_status"] == "closed_won"
