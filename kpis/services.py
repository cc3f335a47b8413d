"""KPI writes: CSAT answers, the quarterly survey invitation and the weekly digest."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ordermgmt.calendar import fiscal_quarter_dates
from ordermgmt.exceptions import ApplicationError, Conflict, PermissionDeniedError
from ordermgmt.models import Region, User
from ordermgmt.services import notification_send

from .exports import SCALARS
from .models import CsatInvitation, CsatResponse, KpiDigest
from .periods import quarter_key, quarter_of

CSAT_RESPONDENT_ROLES = (User.Role.SALES_REP, User.Role.MANAGER)


def csat_quarter_default(*, today: date | None = None) -> str:
    """The quarter a survey answer rates unless one is named: the last closed fiscal quarter (on 2026-12-05, with
    the February fiscal year, FY27-Q3 = 2026-08-01..2026-10-31, stored as "2027-Q3")."""
    today = today or timezone.localdate()
    return quarter_of(quarter_of(today).first - timedelta(days=1)).key


@transaction.atomic
def csat_response_create(
    *, region: str | None, quarter: str | None, rating: str, comment: str = "", respondent: User | None = None
) -> CsatResponse:
    """Record one survey answer from the people the survey is for: sales reps (about their own region) and their
    managers (about a region they name); not Order Management, Billing or Deal Desk rating themselves (403).

    `quarter`: the one rated, by default the last closed quarter; one that has not started yet is refused (400). A
    person answers once per quarter: a second answer raises Conflict (409). `respondent=None` is an imported,
    anonymous answer.
    """
    if respondent is not None and not respondent.is_authenticated:
        respondent = None
    if respondent is not None and not (respondent.role in CSAT_RESPONDENT_ROLES or respondent.is_superuser):
        raise PermissionDeniedError("The survey is for sales reps and their managers.")
    if respondent is not None and respondent.is_rep:
        if region and region != respondent.region_id:
            raise ValidationError({"region": [f"You rate your own region's support ({respondent.region_id})."]})
        region = respondent.region_id
    raw = quarter or csat_quarter_default()
    quarter = quarter_key(raw)
    if quarter is None or not 2 <= int(quarter[:4]) <= 9998:
        raise ValidationError({"quarter": [f"“{raw}” is not a fiscal quarter such as 2027-Q4 or FY27-Q4."]})
    if respondent is not None and quarter_key_start(quarter) > timezone.localdate():
        raise ValidationError({"quarter": [f"{quarter} has not started: rate a quarter you have worked with us."]})
    if rating not in CsatResponse.Rating.values:
        raise ValidationError({"rating": [f"“{rating}” is not one of {', '.join(CsatResponse.Rating.values)}."]})
    if not region or not Region.objects.filter(pk=region).exists():
        raise ValidationError({"region": [f"“{region or ''}” is not a region."]})
    try:
        with transaction.atomic():  # savepoint: the unique constraint is the race-proof once-per-quarter rule
            return CsatResponse.objects.create(
                region_id=region, quarter=quarter, rating=rating, comment=comment, respondent=respondent
            )
    except IntegrityError:
        raise Conflict(f"You have already answered the {quarter} survey.") from None


def quarter_key_start(key: str) -> date:
    """The first day of a fiscal quarter key such as "2027-Q4" (2026-11-01 with the February fiscal year)."""
    return fiscal_quarter_dates(int(key[:4]), int(key[-1]))[0]


@transaction.atomic
def csat_invitations_send(*, today: date | None = None) -> CsatInvitation | None:
    """At a quarter's start, invite every active rep and manager to rate the quarter that just closed: in product
    and by email, with a link to the survey. Once per quarter (a second call is a no-op and returns None)."""
    quarter = csat_quarter_default(today=today)
    invitation, created = CsatInvitation.objects.get_or_create(quarter=quarter)
    if not created:
        return None
    people = User.objects.filter(is_active=True, role__in=CSAT_RESPONDENT_ROLES)
    url = reverse("kpis:csat")
    for person in people:
        notification_send(
            recipient=person,
            verb="csat_invitation",
            message=f"How did Order Management support you in {quarter}? Two questions, one minute.",
            url=url,
        )
    invitation.recipients = len(people)
    invitation.save(update_fields=["recipients"])
    return invitation


def csat_import_csv(*, lines) -> int:
    """Import survey answers from CSV text lines with a header `region,quarter,rating[,comment[,respondent]]`.

    All or nothing: one bad row raises ApplicationError naming its line and nothing is saved. Returns the count.
    """
    reader = csv.DictReader(lines)
    missing = {"region", "quarter", "rating"} - set(reader.fieldnames or [])
    if missing:
        raise ApplicationError(f"CSV header lacks: {', '.join(sorted(missing))}.")
    count = 0
    with transaction.atomic():
        for number, row in enumerate(reader, start=2):
            username = (row.get("respondent") or "").strip()
            respondent = User.objects.filter(username=username).first() if username else None
            if username and respondent is None:
                raise ApplicationError(f"line {number}: no user “{username}”.")
            try:
                csat_response_create(
                    region=(row["region"] or "").strip().upper(),
                    quarter=(row["quarter"] or "").strip().upper() or "missing",
                    rating=(row["rating"] or "").strip().lower().replace(" ", "_"),
                    comment=(row.get("comment") or "").strip(),
                    respondent=respondent,
                )
            except ApplicationError as exc:
                raise ApplicationError(f"line {number}: {exc.message}") from None
            except ValidationError as exc:
                raise ApplicationError(f"line {number}: {' '.join(exc.messages)}") from None
            count += 1
    return count


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def kpi_digest_send(*, today: date | None = None) -> KpiDigest:
    """Email managers this quarter's KPIs so far, once per ISO week.

    Idempotent: the week's KpiDigest row is unique, and a conditional UPDATE (claimed_at IS NULL) lets exactly one
    run send; a repeat (beat firing twice, a redelivered task) returns the row untouched. The mail is sent outside
    any transaction; if it fails the claim is released so a retry can send.
    """
    from .selectors import Scope, kpi_summary

    today = today or datetime.now(UTC).date()
    digest, _ = KpiDigest.objects.get_or_create(week=iso_week(today))
    if not KpiDigest.objects.filter(pk=digest.pk, claimed_at__isnull=True).update(claimed_at=datetime.now(UTC)):
        digest.refresh_from_db()
        return digest
    period = quarter_of(today)
    summary = kpi_summary(Scope(period))
    recipients = sorted(
        User.objects.with_role(User.Role.MANAGER).exclude(email="").values_list("email", flat=True).distinct()
    )
    payload = {key: summary[key] for key in ("period", *SCALARS)}
    try:
        if recipients:
            body = render_to_string(
                "kpis/digest_email.txt", {"summary": summary, "period": period, "week": digest.week}
            )
            send_mail(f"KPI digest {digest.week}: {period.label} so far", body, None, recipients)
    except Exception:
        KpiDigest.objects.filter(pk=digest.pk).update(claimed_at=None)
        raise
    KpiDigest.objects.filter(pk=digest.pk).update(sent_at=datetime.now(UTC), recipients=recipients, payload=payload)
    digest.refresh_from_db()
    return digest
