"""KPI writes: CSAT answers and the weekly digest."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from ordermgmt.exceptions import ApplicationError, Conflict
from ordermgmt.models import Region, User

from .models import CsatResponse, KpiDigest
from .periods import QUARTER_RE, quarter_of


@transaction.atomic
def csat_response_create(
    *, region: str, quarter: str, rating: str, comment: str = "", respondent: User | None = None
) -> CsatResponse:
    """Record one survey answer. A rep answers once per quarter per region: a second answer raises Conflict (409)."""
    if not QUARTER_RE.match(quarter or ""):
        raise ApplicationError(f"quarter: “{quarter}” is not a quarter such as 2026-Q3.", extra={"field": "quarter"})
    if rating not in CsatResponse.Rating.values:
        raise ApplicationError(f"rating: “{rating}” is not one of {', '.join(CsatResponse.Rating.values)}.")
    if not Region.objects.filter(pk=region).exists():
        raise ApplicationError(f"region: “{region}” is not a region.", extra={"field": "region"})
    if respondent is not None and not respondent.is_authenticated:
        respondent = None
    try:
        with transaction.atomic():  # savepoint: the unique constraint is the race-proof once-per-quarter rule
            return CsatResponse.objects.create(
                region_id=region, quarter=quarter, rating=rating, comment=comment, respondent=respondent
            )
    except IntegrityError:
        raise Conflict(f"You have already answered the {quarter} survey for {region}.") from None


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
                    quarter=(row["quarter"] or "").strip().upper(),
                    rating=(row["rating"] or "").strip().lower().replace(" ", "_"),
                    comment=(row.get("comment") or "").strip(),
                    respondent=respondent,
                )
            except ApplicationError as exc:
                raise ApplicationError(f"line {number}: {exc.message}") from None
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
    payload = {
        key: summary[key]
        for key in (
            "period",
            "approval_sla_pct",
            "median_decision_business_hours",
            "p90_decision_business_hours",
            "approval_accuracy_pct",
            "csat_pct",
            "avg_first_response_business_hours",
            "speed_to_month_close_days",
            "license_automatic_pct",
        )
    }
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
