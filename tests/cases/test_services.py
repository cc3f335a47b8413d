"""Case services on PostgreSQL: the state machine, duplicates, SLA arithmetic and @mention notifications."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases import selectors, services, sla
from cases.models import ALLOWED_TRANSITIONS, Case, CaseEvent
from ordermgmt.exceptions import Conflict, InvalidTransition, PermissionDeniedError
from ordermgmt.models import Notification, User
from tests.ordermgmt.factories import (
    ManagerFactory,
    OpportunityFactory,
    RepFactory,
    SpecialistFactory,
    UserFactory,
)

from .conftest import member
from .helpers import open_case

pytestmark = pytest.mark.django_db
LA = ZoneInfo("America/Los_Angeles")


def la(day, hour, minute=0):
    """A wall-clock moment in AMER's time zone, June 2026 (Mon 1 .. Fri 5, PDT, no holidays)."""
    return datetime(2026, 6, day, hour, minute, tzinfo=LA)


# --- opening -----------------------------------------------------------------------------------------------------


def test_open_gives_a_human_number_and_records_the_event(opp):
    case = open_case(opp)

    assert case.number == f"CS-{case.pk:06d}"
    assert case.status == Case.Status.NEW
    assert case.region_id == opp.region_id
    assert case.field_values == {"quote_number": "Q-000123"}
    assert list(case.events.values_list("action", "to_status")) == [("opened", "new")]


def test_a_new_case_notifies_its_team_by_role_and_by_name(opp):
    by_role = UserFactory(username="dd_by_role", role=User.Role.DEAL_DESK)
    by_name = member(username="dd_by_name", role=User.Role.BILLING)  # a billing person added to Deal Desk
    UserFactory(username="billing_other", role=User.Role.BILLING)  # not in the team

    case = open_case(opp)

    notified = Notification.objects.filter(verb="case_new").values_list("recipient__username", flat=True)
    assert sorted(notified) == sorted([by_role.username, by_name.username])
    assert case.number in Notification.objects.filter(verb="case_new").first().message


def test_open_refuses_missing_type_fields_naming_them(opp):
    with pytest.raises(ValidationError) as err:
        open_case(opp, request_type="contract_reset_coterm", fields={"co_term_date": "not a date"})

    assert set(err.value.message_dict) == {"subscription_name", "co_term_date"}
    assert not Case.objects.exists()


def test_open_refuses_a_request_type_of_another_team(opp):
    with pytest.raises(ValidationError) as err:
        open_case(opp, team="billing_ops", request_type="ramp_deal")

    assert "request_type" in err.value.message_dict


@pytest.mark.parametrize("who", ["other_rep", "specialist"])
def test_only_the_owner_rep_or_a_manager_opens_a_case(opp, who):
    actor = RepFactory() if who == "other_rep" else SpecialistFactory()

    with pytest.raises(PermissionDeniedError):
        open_case(opp, actor=actor)

    assert open_case(opp, actor=ManagerFactory()).requester.is_manager


def test_second_open_case_of_the_same_type_is_flagged_until_confirmed(opp):
    first = open_case(opp)

    with pytest.raises(Conflict) as err:
        open_case(opp)
    assert err.value.extra["possible_duplicate_of"] == first.pk
    assert Case.objects.count() == 1

    second = open_case(opp, confirm_duplicate=True)
    assert second.possible_duplicate_of_id == first.pk
    assert second.events.get().data["possible_duplicate_of"] == first.number


def test_other_types_and_closed_cases_are_not_duplicates(opp, dd_user):
    first = open_case(opp)
    other_type = open_case(opp, request_type="ramp_deal", fields={"quote_number": "Q1", "ramp_schedule": "Y1 10k"})
    services.case_close(case_id=first.pk, actor=opp.owner)

    again = open_case(opp)

    assert other_type.possible_duplicate_of is None
    assert again.possible_duplicate_of is None


def test_a_linked_case_is_related_both_ways(opp):
    first = open_case(opp)
    services.case_close(case_id=first.pk, actor=opp.owner)

    follow_up = open_case(opp, related_to_id=first.pk)

    assert list(follow_up.related_cases.all()) == [first]
    assert list(first.related_cases.all()) == [follow_up]


# --- the state machine -----------------------------------------------------------------------------------------------


def test_take_owns_the_case_and_starts_work(opp, dd_user):
    case = open_case(opp)

    case = services.case_take(case_id=case.pk, actor=dd_user)

    assert (case.owner, case.status) == (dd_user, Case.Status.WORK_IN_PROGRESS)
    assert services.case_take(case_id=case.pk, actor=dd_user).owner == dd_user  # repeat: no-op
    assert case.events.filter(action="taken").count() == 1
    assert Notification.objects.filter(recipient=opp.owner, verb="case_taken").count() == 1


def test_second_taker_gets_conflict(opp, dd_user, dd_other):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)

    with pytest.raises(Conflict):
        services.case_take(case_id=case.pk, actor=dd_other)

    case.refresh_from_db()
    assert case.owner == dd_user


def test_only_the_team_takes_its_cases(opp):
    case = open_case(opp)
    billing_member = member("billing_ops")

    with pytest.raises(PermissionDeniedError):
        services.case_take(case_id=case.pk, actor=billing_member)
    with pytest.raises(PermissionDeniedError):
        services.case_take(case_id=case.pk, actor=opp.owner)


def test_transition_table_is_complete_and_closed_only_reopens():
    assert set(ALLOWED_TRANSITIONS) == set(Case.Status.values)
    assert ALLOWED_TRANSITIONS[Case.Status.CLOSED] == {Case.Status.WORK_IN_PROGRESS}
    assert all(Case.Status.NEW not in targets for targets in ALLOWED_TRANSITIONS.values())


@pytest.mark.parametrize(
    ("path", "target"),
    [([], "new"), (["closed"], "pending_response"), (["closed"], "on_hold"), (["on_hold"], "new")],
)
def test_illegal_moves_raise_and_change_nothing(opp, dd_user, path, target):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    for step in path:
        services.case_transition(case_id=case.pk, to_status=step, actor=dd_user)
    events_before = CaseEvent.objects.count()
    status_before = Case.objects.get(pk=case.pk).status

    with pytest.raises(InvalidTransition):
        services.case_transition(case_id=case.pk, to_status=target, actor=dd_user)

    assert Case.objects.get(pk=case.pk).status == status_before
    assert CaseEvent.objects.count() == events_before or target == status_before


def test_repeating_the_current_status_is_a_no_op(opp, dd_user):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)

    for _ in range(2):
        services.case_transition(case_id=case.pk, to_status="on_hold", actor=dd_user)

    assert case.events.filter(to_status="on_hold").count() == 1


def test_unknown_status_is_a_validation_error(opp, dd_user):
    case = open_case(opp)
    with pytest.raises(ValidationError) as err:
        services.case_transition(case_id=case.pk, to_status="done", actor=dd_user)
    assert "status" in err.value.message_dict


def test_status_changes_belong_to_the_owner_or_a_manager(opp, dd_user, dd_other):
    case = open_case(opp)
    with pytest.raises(Conflict):  # nobody owns it yet
        services.case_transition(case_id=case.pk, to_status="on_hold", actor=ManagerFactory())
    services.case_take(case_id=case.pk, actor=dd_user)

    with pytest.raises(PermissionDeniedError):
        services.case_transition(case_id=case.pk, to_status="on_hold", actor=dd_other)
    with pytest.raises(PermissionDeniedError):
        services.case_transition(case_id=case.pk, to_status="on_hold", actor=opp.owner)

    assert services.case_transition(case_id=case.pk, to_status="on_hold", actor=ManagerFactory()).status == "on_hold"


def test_requester_may_withdraw_but_only_the_team_reopens(opp, dd_user):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    services.case_close(case_id=case.pk, actor=opp.owner)

    with pytest.raises(PermissionDeniedError):
        services.case_reopen(case_id=case.pk, actor=opp.owner)
    reopened = services.case_reopen(case_id=case.pk, actor=dd_user)

    assert (reopened.status, reopened.owner, reopened.closed_at) == ("work_in_progress", dd_user, None)
    assert list(reopened.events.values_list("action", flat=True)) == ["opened", "taken", "closed", "reopened"]


def test_manager_reassigns_to_a_team_member_only(opp, dd_user, dd_other):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    manager = ManagerFactory()

    with pytest.raises(PermissionDeniedError):
        services.case_assign(case_id=case.pk, actor=dd_user, user=dd_other)
    with pytest.raises(ValidationError) as err:
        services.case_assign(case_id=case.pk, actor=manager, user=member("billing_ops"))
    assert "user" in err.value.message_dict

    case = services.case_assign(case_id=case.pk, actor=manager, user=dd_other)
    assert case.owner == dd_other
    assert case.events.get(action="assigned").data == {"owner": dd_other.pk, "previous_owner": dd_user.pk}
    assert Notification.objects.filter(recipient=dd_other, verb="case_assigned").exists()


# --- SLA arithmetic (AMER: 07:00-17:00 America/Los_Angeles) ---------------------------------------------------------


def test_first_response_is_measured_in_business_hours_of_the_region(opp, dd_user):
    with time_machine.travel(la(1, 15), tick=False):  # Monday 15:00: 2 business hours left today
        case = open_case(opp)
    # 6 h target: 2 h on Monday + 4 h on Tuesday from 07:00.
    assert case.first_response_due_at == la(2, 11)
    assert case.sla_due_at == case.first_response_due_at

    with time_machine.travel(la(2, 8), tick=False):
        services.case_take(case_id=case.pk, actor=dd_user)
        services.case_comment_add(case_id=case.pk, actor=dd_user, body="Looking, internal", internal=True)
    with time_machine.travel(la(2, 9, 30), tick=False):
        services.case_comment_add(case_id=case.pk, actor=opp.owner, body="Any news?")  # requester: not a response
        services.case_comment_add(case_id=case.pk, actor=dd_user, body="Fixed the discount line.")
    with time_machine.travel(la(2, 10), tick=False):
        services.case_comment_add(case_id=case.pk, actor=dd_user, body="And the ramp.")

    case.refresh_from_db()
    assert case.first_response_at == la(2, 9, 30)
    assert case.first_response_business_hours == 4.5  # 15:00-17:00 Monday + 07:00-09:30 Tuesday
    assert case.sla_due_at == case.resolution_due_at


def test_pending_response_and_on_hold_pause_the_resolution_clock(opp, dd_user):
    fields = {"quote_number": "Q-1", "ramp_schedule": "Y1 10k, Y2 20k"}
    with time_machine.travel(la(1, 9), tick=False):  # Monday 09:00, Ramp Deal: 24 h resolution
        case = open_case(opp, request_type="ramp_deal", fields=fields)
        services.case_take(case_id=case.pk, actor=dd_user)
        services.case_comment_add(case_id=case.pk, actor=dd_user, body="Got it, building the ramp.")
    case.refresh_from_db()
    assert case.resolution_due_at == la(3, 13)  # Mon 09-17 (8) + Tue 07-17 (10) + Wed 07-13 (6)
    with time_machine.travel(la(1, 13), tick=False):
        case = services.case_transition(case_id=case.pk, to_status="pending_response", actor=dd_user)
    assert (case.resolution_due_at, case.paused_at) == (None, la(1, 13))
    assert sla.sla_status(case, la(1, 14)).state == "paused"
    with time_machine.travel(la(2, 8), tick=False):
        case = services.case_transition(case_id=case.pk, to_status="on_hold", actor=dd_user)  # still paused
    with time_machine.travel(la(2, 10), tick=False):
        case = services.case_transition(case_id=case.pk, to_status="work_in_progress", actor=dd_user)
    # Paused Mon 13:00-17:00 (4 h) + Tue 07:00-10:00 (3 h) = 7 h: due moves to 31 business hours after creation.
    assert case.paused_business_hours == 7
    assert case.resolution_due_at == la(4, 10)  # Mon 8 + Tue 10 + Wed 10 + Thu 3
    with time_machine.travel(la(3, 12), tick=False):
        case = services.case_close(case_id=case.pk, actor=dd_user)
    # Mon 09-17 (8) + Tue (10) + Wed 07-12 (5) = 23 elapsed, minus 7 paused.
    assert case.resolution_business_hours == 16
    assert sla.sla_status(case, la(3, 12)).state == "met"


def test_time_spent_closed_does_not_count_after_reopening(opp, dd_user):
    with time_machine.travel(la(1, 9), tick=False):
        case = open_case(opp)  # Basic Quote Assistance: 8 h resolution
        services.case_take(case_id=case.pk, actor=dd_user)
    with time_machine.travel(la(1, 11), tick=False):
        services.case_close(case_id=case.pk, actor=dd_user)
    with time_machine.travel(la(2, 9), tick=False):
        case = services.case_reopen(case_id=case.pk, actor=dd_user)
    # Closed Mon 11-17 (6) + Tue 07-09 (2) = 8 h paused: 2 h used, 6 h left from Tue 09:00.
    assert case.paused_business_hours == 8
    assert case.resolution_due_at == la(2, 15)


@pytest.mark.parametrize(
    ("now", "state", "remaining"),
    [
        (la(1, 12), "ok", 3.0),
        (la(1, 13, 36), "at_risk", 1.4),
        (la(1, 15), "breached", 0.0),
        (la(2, 8), "breached", -3.0),
    ],
)
def test_first_response_at_risk_under_a_quarter_left_then_breached(opp, now, state, remaining):
    with time_machine.travel(la(1, 9), tick=False):
        case = open_case(opp)  # due Monday 15:00 (6 h)

    status = sla.sla_status(Case.objects.select_related("request_type", "region").get(pk=case.pk), now)

    assert (status.clock, status.state, status.remaining_hours) == ("first_response", state, remaining)


def test_queue_orders_by_the_due_time_of_the_running_clock(opp, dd_user):
    ramp = {"quote_number": "Q-1", "ramp_schedule": "x"}
    with time_machine.travel(la(1, 9), tick=False):
        private_offer = open_case(
            opp, request_type="private_offer_creation", fields={"marketplace": "AWS", "quote_number": "Q"}
        )  # due 24 h later
        quick = open_case(opp, request_type="basic_quote_assistance")  # first response due Mon 15:00
    with time_machine.travel(la(1, 10), tick=False):
        ramp_case = open_case(opp, request_type="ramp_deal", fields=ramp)  # due Mon 16:00
        paused = open_case(opp, request_type="flat_renewal", fields={"subscription_name": "A-S1"})
        services.case_take(case_id=paused.pk, actor=dd_user)
        services.case_comment_add(case_id=paused.pk, actor=dd_user, body="On it")
        services.case_transition(case_id=paused.pk, to_status="on_hold", actor=dd_user)
        closed = open_case(opp, request_type="iacv_arr_review", fields={"expected_arr": "1000"})
        services.case_close(case_id=closed.pk, actor=opp.owner)

    queue = list(selectors.case_queue(user=dd_user, team=quick.team))

    assert queue == [quick, ramp_case, private_offer, paused]


# --- @mentions and notifications -------------------------------------------------------------------------------------


def test_mentions_notify_only_the_owner_or_the_requester(opp, dd_user, dd_other):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    RepFactory(username="bystander")
    Notification.objects.all().delete()

    comment = services.case_comment_add(
        case_id=case.pk, actor=dd_other, body="@dd_one @rep_owner and @bystander, also @dd_two. @nobody"
    )

    assert comment.mentions_notified == ["dd_one", "rep_owner"]
    assert comment.mentions_ignored == ["bystander", "dd_two", "nobody"]
    assert sorted(Notification.objects.values_list("recipient__username", "verb")) == [
        ("dd_one", "case_mention"),
        ("rep_owner", "case_mention"),
    ]


def test_internal_note_never_notifies_the_requester(opp, dd_user, dd_other):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    Notification.objects.all().delete()

    comment = services.case_comment_add(case_id=case.pk, actor=dd_other, body="@rep_owner @dd_one see", internal=True)

    assert comment.mentions_notified == ["dd_one"]
    assert comment.mentions_ignored == ["rep_owner"]
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["dd_one"]


def test_public_reply_tells_the_other_side_once(opp, dd_user):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    Notification.objects.all().delete()

    services.case_comment_add(case_id=case.pk, actor=dd_user, body="Done, @rep_owner.")
    services.case_comment_add(case_id=case.pk, actor=opp.owner, body="Thanks")

    assert sorted(Notification.objects.values_list("recipient__username", "verb")) == [
        ("dd_one", "case_reply"),
        ("rep_owner", "case_mention"),
    ]


def test_only_the_team_writes_internal_notes(opp):
    case = open_case(opp)
    with pytest.raises(PermissionDeniedError):
        services.case_comment_add(case_id=case.pk, actor=opp.owner, body="psst", internal=True)


def test_mention_parsing_ignores_emails_and_trailing_punctuation():
    assert services.mentioned_usernames("mail a@b.com, ask @rep.one. and @rep.one again, @x-y!") == ["rep.one", "x-y"]


def test_an_unrelated_rep_cannot_see_a_case(opp):
    case = open_case(opp)
    other = OpportunityFactory().owner

    assert not selectors.case_list(user=other).filter(pk=case.pk).exists()
    assert selectors.case_list(user=opp.owner).filter(pk=case.pk).exists()
