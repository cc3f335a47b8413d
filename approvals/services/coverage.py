"""Cover: the extra regions a specialist covers, and time-bound out of office. From its start a specialist's claimed
queue items (and the notifications meant for them) go to their backup; at its end the items still undecided come
back. The hand-over and the hand-back are made by `coverage_sweep` (beat, every few minutes), and at once when the
absence is saved with a start already past."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import Region, User
from ordermgmt.services import opportunity_event_record, user_dated_coverage_add, user_out_of_office_set
from ordermgmt.zones import format_in, region_zone

from ..models import Submission
from .guards import State

# The Order Management stage: a claim means something only there (Billing works its queue without claims).
OM_OPEN = (State.SUBMITTED, State.NEEDS_INFO)


@transaction.atomic
def specialist_set_coverage(*, actor: User, specialist: User, regions: list[str], starts_on=None, ends_on=None) -> User:
    """A manager sets the extra regions a specialist covers: standing (no dates: replaces the standing set), or for
    a span of days (PTO, a month or quarter end: added beside the standing set, both days included)."""
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers set coverage.")
    if not specialist.is_specialist:
        raise ValidationError({"specialist": ["Coverage applies to Order Management specialists."]})
    if (starts_on is None) != (ends_on is None):
        raise ValidationError({"ends_on" if starts_on else "starts_on": ["Give both days of a dated coverage."]})
    if starts_on is not None:
        if not regions:
            raise ValidationError({"regions": ["Choose the regions to cover on those days."]})
        user_dated_coverage_add(user=specialist, regions=regions, starts_on=starts_on, ends_on=ends_on)
        return specialist
    specialist.covered_regions.set(Region.objects.filter(pk__in=regions).exclude(pk=specialist.region_id))
    specialist.forget_region_codes()
    return specialist


@transaction.atomic
def specialist_set_out_of_office(
    *, actor: User, specialist: User, start, end, backup: User | None, now: datetime | None = None
) -> int:
    """A specialist (for themselves) or a manager records an absence and its backup. When the absence has already
    started, the claimed items move to the backup at once; otherwise the beat moves them at its start. Clearing or
    ending it early hands the items back. Returns how many items moved now (either way)."""
    if not (actor.is_manager or actor.pk == specialist.pk):
        raise PermissionDeniedError("Only the specialist themselves or a manager set their out of office.")
    if backup is not None and (backup.pk == specialist.pk or not (backup.is_specialist or backup.is_manager)):
        raise ValidationError({"backup": ["Choose another specialist or a manager as backup."]})
    if start and backup is None:
        raise ValidationError({"backup": ["Choose who takes over while you are out."]})
    user_out_of_office_set(user=specialist, start=start, end=end, backup=backup)
    moved = coverage_sweep(now=now, people=[specialist.pk], actor=actor)
    return moved["handed_over"] + moved["handed_back"]


def _reassign(submission: Submission, *, to: User, actor: User | None, on_behalf_of: User | None, note: str) -> None:
    before = submission.claimed_by
    submission.claimed_by = to
    opportunity_event_record(
        opportunity=submission.opportunity,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action="reassigned",
        changes={"claimed_by": [before.username if before else None, to.username]},
        comment=note,
    )


@transaction.atomic
def coverage_sweep(
    *, now: datetime | None = None, people: list[int] | None = None, actor: User | None = None
) -> dict[str, int]:
    """Hand the claimed Order Management items of everyone whose absence has started to their backup, and hand back
    the items of everyone who is back (absence ended or cleared). Idempotent: run it as often as you like.

    `people` limits it to some claimers (when an absence is saved). Returns `{"handed_over", "handed_back"}`.
    """
    now = now or timezone.now()
    open_items = (
        Submission.objects.select_for_update(of=("self",)).select_related("opportunity").filter(state__in=OM_OPEN)
    )
    if people is not None:
        open_items = open_items.filter(Q(claimed_by__in=people) | Q(handed_over_from__in=people))

    handed_over = 0
    absent = User.objects.away_at(now).filter(backup__isnull=False)
    for submission in open_items.filter(claimed_by__in=absent, handed_over_from__isnull=True).select_related(
        "claimed_by__backup"
    ):
        claimer = submission.claimed_by
        back_at = claimer.out_of_office_until  # shown in the zone the absence was typed in, named (#21)
        until = f" until {format_in(back_at, region_zone(claimer.region_id))}" if back_at else ""
        submission.handed_over_from = claimer
        _reassign(submission, to=claimer.backup, actor=actor, on_behalf_of=claimer, note=f"Out of office{until}")
        submission.save(update_fields=["claimed_by", "handed_over_from"])
        handed_over += 1

    handed_back = 0
    returning = open_items.filter(handed_over_from__isnull=False).exclude(
        handed_over_from__in=User.objects.away_at(now)
    )
    for submission in returning.select_related("handed_over_from", "claimed_by"):
        owner = submission.handed_over_from
        submission.handed_over_from = None
        _reassign(submission, to=owner, actor=actor, on_behalf_of=None, note="Back from out of office")
        submission.save(update_fields=["claimed_by", "handed_over_from"])
        handed_back += 1
    return {"handed_over": handed_over, "handed_back": handed_back}
