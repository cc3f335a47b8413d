"""Imports from Salesforce: create a run from an uploaded file, execute it (a dry run rolls everything back and keeps
the outcomes; the real run commits row by row), and the row logic both share, so the two cannot disagree.

Every write to an account, contact, opportunity or quote goes through ordermgmt's services, which keep the history;
this app writes only its own records (runs, row outcomes, the Salesforce Id mapping)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ordermgmt import services as om
from ordermgmt.exceptions import ApplicationError, Conflict, PermissionDeniedError
from ordermgmt.models import Account, Contact, Opportunity, Quote, Region, User

from . import parsing
from .models import ExternalRef, ImportRow, ImportRun, may_import

logger = logging.getLogger(__name__)

TASK = "imports.tasks.import_run_execute"
MAX_BYTES = 10 * 1024 * 1024
MAX_RUN_ATTEMPTS = 3
CHUNK = 50  # rows per progress update (and per batch of recorded outcomes) of a real run

_Stage = Opportunity.Stage


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# Salesforce StageName -> our stage: our own names (code or label, the GitLab stage set), then Salesforce's default
# sales process. Stages the approval workflow sets (7-Closing, Closed Won, 10-Duplicate) are refused, not mapped.
STAGES: dict[str, str] = {
    **{_norm(code): code for code in _Stage.values},
    **{_norm(label): code for code, label in _Stage.choices},
    **{
        _norm(name): code
        for name, code in {
            "Pending Acceptance": _Stage.PENDING_ACCEPTANCE,
            "Prospecting": _Stage.DISCOVERY,
            "Qualification": _Stage.DISCOVERY,
            "Discovery": _Stage.DISCOVERY,
            "Needs Analysis": _Stage.SCOPING,
            "Scoping": _Stage.SCOPING,
            "Value Proposition": _Stage.TECHNICAL_EVALUATION,
            "Id. Decision Makers": _Stage.TECHNICAL_EVALUATION,
            "Perception Analysis": _Stage.TECHNICAL_EVALUATION,
            "Technical Evaluation": _Stage.TECHNICAL_EVALUATION,
            "Proposal/Price Quote": _Stage.PROPOSAL,
            "Proposal": _Stage.PROPOSAL,
            "Negotiation/Review": _Stage.NEGOTIATING,
            "Negotiating": _Stage.NEGOTIATING,
            "Awaiting Signature": _Stage.AWAITING_SIGNATURE,
            "Closed Lost": _Stage.CLOSED_LOST,
            "Closing": _Stage.CLOSING,
            "Duplicate": _Stage.DUPLICATE,
        }.items()
    },
}
TYPES = {
    _norm(name): code
    for name, code in {
        "New Business": Opportunity.Type.NEW_BUSINESS,
        "New Customer": Opportunity.Type.NEW_BUSINESS,
        "Add-On Business": Opportunity.Type.ADD_ON,
        "Add-On": Opportunity.Type.ADD_ON,
        "Existing Customer - Upgrade": Opportunity.Type.ADD_ON,
        "Renewal": Opportunity.Type.RENEWAL,
        "Existing Customer - Replacement": Opportunity.Type.RENEWAL,
        "Existing Business": Opportunity.Type.RENEWAL,
    }.items()
}
MAX_MONEY = Decimal("999999999999.99")  # 14 digits, 2 decimals: the model's fields


def _us_date(text: str) -> date:
    """M/D/YYYY, as a Salesforce report exported with US locale writes a date."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not match:
        raise ValueError(text)
    return date(int(match[3]), int(match[1]), int(match[2]))


class RowRefused(Exception):
    """This row is not imported; `column` is the file's column the reason is about."""

    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}")
        self.column, self.reason = column, reason


@dataclass
class RowResult:
    outcome: str
    external_id: str = ""
    name: str = ""
    column: str = ""
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    opportunity_id: int | None = None
    accounts_created: int = 0
    contacts_created: int = 0


# ---------------------------------------------------------------------------------------------------------------
# Creating and executing runs


def import_run_create(
    *, actor: User | None, filename: str, data: bytes, dry_run: bool = True, enqueue: bool = True
) -> ImportRun:
    """Store an uploaded file as a run and queue its execution (through the outbox) after commit.

    Refuses a person who may not import (403), and a file that is too large, unreadable, or lacks a required column
    (ValidationError on `file`, naming the column). Rows are checked when the run executes, each on its own.
    """
    if actor is not None and not may_import(actor):
        raise PermissionDeniedError("Managers, Deal Desk and sales reps (their own deals) import opportunities.")
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MiB."]})
    file_format = parsing.detect_format(filename, data)
    parsed = parsing.parse(data=data, file_format=file_format)
    with transaction.atomic():
        run = ImportRun.objects.create(
            filename=filename[:255],
            format=file_format,
            content=parsing.decode(data),
            dry_run=dry_run,
            total=len(parsed.rows),
            created_by=actor,
        )
        if enqueue:
            om.outbox_enqueue(task=TASK, kwargs={"run_id": run.pk})
    return run


def import_run_start(*, actor: User | None, dry_run_id: int, enqueue: bool = True) -> ImportRun:
    """Queue the real import of a finished dry run's file (the same content, the same person's rights).

    Conflict (409) unless the dry run is done; starting it twice while the first import is active answers that one.
    """
    if actor is not None and not may_import(actor):
        raise PermissionDeniedError("Managers, Deal Desk and sales reps (their own deals) import opportunities.")
    with transaction.atomic():
        dry = ImportRun.objects.select_for_update().get(pk=dry_run_id)
        if not dry.dry_run or dry.status != ImportRun.Status.DONE:
            raise Conflict("Only a finished dry run can be imported.")
        active = dry.imports.filter(status__in=ImportRun.ACTIVE_STATUSES).first()
        if active is not None:
            return active  # a double click: the import already under way
        run = ImportRun.objects.create(
            filename=dry.filename,
            format=dry.format,
            content=dry.content,
            dry_run=False,
            dry_run_of=dry,
            total=dry.total,
            created_by=actor,
        )
        if enqueue:
            om.outbox_enqueue(task=TASK, kwargs={"run_id": run.pk})
    return run


def _claim(run_id: int) -> bool:
    """Take the run: a queued one, or a running one whose worker cannot still be at it (older than the task time
    limit: its message came back after the worker died). A second delivery of a live run's message claims nothing."""
    lease = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 1800)
    stale = Q(status=ImportRun.Status.RUNNING, started_at__lt=timezone.now() - lease)
    return bool(
        ImportRun.objects.filter(Q(status=ImportRun.Status.QUEUED) | stale, pk=run_id).update(
            status=ImportRun.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, error=""
        )
    )


def _fail(run_id: int, error: str) -> None:
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.FAILED, finished_at=timezone.now(), error=error[:5000]
    )


def import_run_execute(*, run_id: int) -> ImportRun:
    """Execute a queued run (or resume one whose worker died); a finished run is returned as it is.

    A dry run applies every row inside one transaction that is rolled back at the end, so it answers exactly what
    the import would do, rows that depend on earlier rows included. A real run commits each row on its own (a
    refused row leaves nothing behind) and records the outcomes and the progress every CHUNK rows; resumed, it
    skips the lines it already recorded. Idempotent on the Salesforce Id: importing the same file again finds
    every record unchanged and writes nothing, no history line either.
    """
    if not _claim(run_id):
        return ImportRun.objects.get(pk=run_id)
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if run.attempts > MAX_RUN_ATTEMPTS:
        _fail(run_id, f"Gave up after {MAX_RUN_ATTEMPTS} attempts.")
        return ImportRun.objects.get(pk=run_id)
    try:
        parsed = parsing.parse(data=run.content.encode(), file_format=run.format)
        importer = _Importer(actor=run.created_by, run=run, parsed=parsed)
        if run.dry_run:
            _execute_dry(run, importer)
        else:
            _execute_real(run, importer)
    except ValidationError as exc:
        _fail(run_id, " ".join(exc.messages))
        return ImportRun.objects.get(pk=run_id)
    except Exception as exc:
        logger.exception("import run %s failed", run_id)
        _fail(run_id, f"{type(exc).__name__}: {exc}")
        raise
    counts = _counts(run)
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.DONE, processed=run.total, counts=counts, finished_at=timezone.now()
    )
    return ImportRun.objects.get(pk=run_id)


def _execute_dry(run: ImportRun, importer: _Importer) -> None:
    results = []
    with transaction.atomic():
        for line, row in enumerate(importer.parsed.rows, start=1):
            results.append((line, importer.row(row)))
        transaction.set_rollback(True)
    ImportRow.objects.filter(run=run).delete()
    _record(run, results)


def _execute_real(run: ImportRun, importer: _Importer) -> None:
    done = set(ImportRow.objects.filter(run=run).values_list("line", flat=True))
    rows = list(enumerate(importer.parsed.rows, start=1))
    for start in range(0, len(rows), CHUNK):
        chunk = [(line, row) for line, row in rows[start : start + CHUNK] if line not in done]
        results = [(line, importer.row(row)) for line, row in chunk]
        with transaction.atomic():
            _record(run, results)
            # The counts so far travel with the progress, so the page shows them growing.
            ImportRun.objects.filter(pk=run.pk).update(processed=min(start + CHUNK, len(rows)), counts=_counts(run))


def _record(run: ImportRun, results: list[tuple[int, RowResult]]) -> None:
    ImportRow.objects.bulk_create(
        [
            ImportRow(
                run=run,
                line=line,
                external_id=r.external_id[:40],
                name=r.name[:255],
                outcome=r.outcome,
                column=r.column[:100],
                reason=r.reason,
                changes={**r.changes, **_extra(r)},
                opportunity_id=r.opportunity_id,
            )
            for line, r in results
        ],
        batch_size=500,
    )


def _extra(r: RowResult) -> dict[str, int]:
    extra = {}
    if r.accounts_created:
        extra["_accounts_created"] = r.accounts_created
    if r.contacts_created:
        extra["_contacts_created"] = r.contacts_created
    return extra


def _counts(run: ImportRun) -> dict[str, int]:
    by_outcome = dict(
        ImportRow.objects.filter(run=run).values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n")
    )
    counts = {outcome: by_outcome.get(outcome, 0) for outcome in ImportRow.Outcome.values}
    extras = Counter()
    for changes in ImportRow.objects.filter(run=run, changes__has_any_keys=["_accounts_created", "_contacts_created"]):
        extras["accounts_created"] += changes.changes.get("_accounts_created", 0)
        extras["contacts_created"] += changes.changes.get("_contacts_created", 0)
    counts.update({"accounts_created": extras["accounts_created"], "contacts_created": extras["contacts_created"]})
    return counts


# ---------------------------------------------------------------------------------------------------------------
# One row


class _Ref(NamedTuple):
    pk: int
    object_id: int


@dataclass
class _Clean:
    external_id: str
    name: str
    stage: str
    amount: Decimal
    close_date: date
    owner: User
    account_name: str
    account_id: str = ""
    account_country: str = ""
    account_region: str = ""
    type: str | None = None
    net_arr: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    contact_id: str = ""
    contact_name: str = ""
    contact_email: str = ""
    quote_number: str = ""
    term_months: int | None = None


class _Importer:
    """The row logic of one run: checks a row, then writes it through ordermgmt's services in a savepoint."""

    def __init__(self, *, actor: User | None, run: ImportRun, parsed: parsing.Parsed):
        self.actor, self.run, self.parsed = actor, run, parsed
        self.comment = f"Salesforce import ({run.filename}, run {run.pk})"
        self.regions = {region.pk: region for region in Region.objects.all()}
        self.refs = self._load_refs()
        self.pending: list[tuple[str, str, _Ref]] = []
        self.reps: dict[str, list[User]] = {}
        for rep in User.objects.with_role(User.Role.SALES_REP).exclude(email=""):
            self.reps.setdefault(rep.email.lower(), []).append(rep)

    def col(self, name: str) -> str:
        return self.parsed.column(name)

    # -- checks (no writes) --------------------------------------------------------------------------------------

    def _required(self, row: dict[str, str], name: str) -> str:
        value = row.get(name, "")
        if not value:
            raise RowRefused(self.col(name), "required, but empty.")
        return value

    def _decimal(self, row: dict[str, str], name: str, *, required: bool, minimum: Decimal | None) -> Decimal | None:
        text = row.get(name, "")
        if not text:
            if required:
                raise RowRefused(self.col(name), "required, but empty.")
            return None
        cleaned = re.sub(r"^(?:[A-Z]{3}\s*|[$€£¥])", "", text).replace(",", "").strip()
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise RowRefused(self.col(name), f"“{text}” is not a number.") from None
        if not value.is_finite() or abs(value) > MAX_MONEY:
            raise RowRefused(self.col(name), f"“{text}” is out of range.")
        if minimum is not None and value < minimum:
            raise RowRefused(self.col(name), f"“{text}” is negative.")
        return value.quantize(Decimal("0.01"))

    def _date(self, row: dict[str, str], name: str, *, required: bool) -> date | None:
        text = row.get(name, "")
        if not text:
            if required:
                raise RowRefused(self.col(name), "required, but empty.")
            return None
        for parse in (date.fromisoformat, lambda t: datetime.fromisoformat(t).date(), _us_date):
            try:
                return parse(text)
            except ValueError:
                continue
        raise RowRefused(self.col(name), f"“{text}” is not a date (YYYY-MM-DD, or M/D/YYYY as US reports write it).")

    def clean(self, row: dict[str, str]) -> _Clean:
        external_id = self._required(row, "external_id")
        if not re.fullmatch(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?", external_id):
            raise RowRefused(self.col("external_id"), f"“{external_id}” is not a Salesforce Id (15 or 18 characters).")
        name = self._required(row, "name")
        if len(name) > 255:
            raise RowRefused(self.col("name"), "longer than 255 characters.")
        stage_text = self._required(row, "stage")
        stage = STAGES.get(_norm(stage_text))
        if stage is None:
            raise RowRefused(self.col("stage"), f"unknown stage “{stage_text}”.")
        if stage in Opportunity.WORKFLOW_STAGES:
            raise RowRefused(
                self.col("stage"),
                f"“{stage_text}” is set by the approval workflow here, not imported: import the deal at its last "
                "open stage and submit it.",
            )
        amount = self._decimal(row, "amount", required=True, minimum=Decimal("0"))
        close_date = self._date(row, "close_date", required=True)
        email = self._required(row, "owner_email")
        owners = self.reps.get(email.lower(), [])
        if not owners:
            raise RowRefused(self.col("owner_email"), f"“{email}” is not an active sales rep here.")
        if len(owners) > 1:
            raise RowRefused(self.col("owner_email"), f"“{email}” is the address of {len(owners)} sales reps.")
        owner = owners[0]
        if self.actor is not None and self.actor.is_rep and owner.pk != self.actor.pk:
            raise RowRefused(self.col("owner_email"), "a sales rep imports only their own opportunities.")
        clean = _Clean(
            external_id=external_id,
            name=name,
            stage=stage,
            amount=amount,
            close_date=close_date,
            owner=owner,
            account_name=self._required(row, "account_name")[:255],
            account_id=row.get("account_id", ""),
            account_country=row.get("account_country", "").upper(),
            account_region=row.get("account_region", "").upper(),
            net_arr=self._decimal(row, "net_arr", required=False, minimum=None),
            start_date=self._date(row, "start_date", required=False),
            end_date=self._date(row, "end_date", required=False),
            contact_id=row.get("contact_id", ""),
            contact_name=row.get("contact_name", "")[:200],
            contact_email=row.get("contact_email", ""),
            quote_number=row.get("quote_number", "")[:40],
        )
        if row.get("type"):
            clean.type = TYPES.get(_norm(row["type"]))
            if clean.type is None:
                raise RowRefused(self.col("type"), f"unknown type “{row['type']}”.")
        if clean.account_region and clean.account_region not in self.regions:
            raise RowRefused(self.col("account_region"), f"“{clean.account_region}” is not a region.")
        if clean.account_country and not re.fullmatch(r"[A-Z]{2}", clean.account_country):
            raise RowRefused(self.col("account_country"), "use an ISO 3166 alpha-2 code such as US or DE.")
        if clean.start_date and clean.end_date and clean.end_date < clean.start_date:
            raise RowRefused(self.col("end_date"), "before the start date.")
        if row.get("term_months"):
            try:
                clean.term_months = int(Decimal(row["term_months"]))
            except (InvalidOperation, ValueError):
                raise RowRefused(self.col("term_months"), f"“{row['term_months']}” is not a number.") from None
            if not 1 <= clean.term_months <= 600:
                raise RowRefused(self.col("term_months"), "must be 1 to 600 months.")
        if clean.contact_email:
            try:
                Contact._meta.get_field("email").run_validators(clean.contact_email)
            except ValidationError:
                raise RowRefused(
                    self.col("contact_email"), f"“{clean.contact_email}” is not an email address."
                ) from None
        return clean

    # -- writes --------------------------------------------------------------------------------------------------

    def row(self, row: dict[str, str]) -> RowResult:
        """Check and write one row in its own savepoint: all of it, or (refused) none of it."""
        external_id, name = row.get("external_id", ""), row.get("name", "")
        self.pending = []
        try:
            clean = self.clean(row)
            with transaction.atomic():
                result = self._write(clean)
        except RowRefused as exc:
            return RowResult("refused", external_id, name, column=exc.column, reason=exc.reason)
        except ApplicationError as exc:
            return RowResult("refused", external_id, name, column=self.col("external_id"), reason=exc.message)
        except ValidationError as exc:
            column, reason = self._validation_reason(exc)
            return RowResult("refused", external_id, name, column=column, reason=reason)
        except IntegrityError:
            # Another import wrote the same Salesforce record at the same moment; the file can simply be re-imported.
            return RowResult(
                "refused",
                external_id,
                name,
                column=self.col("external_id"),
                reason="written by another import at the same time: import the file again.",
            )
        # The row is written: the mappings it made join the cache (a refused row's were rolled back with it).
        for kind, external_id, entry in self.pending:
            self.refs[kind][external_id] = entry
        return result

    FIELD_COLUMNS = {
        "name": "name",
        "amount": "amount",
        "close_date": "close_date",
        "start_date": "start_date",
        "end_date": "end_date",
        "net_arr": "net_arr",
        "stage": "stage",
        "country": "account_country",
        "email": "contact_email",
        "number": "quote_number",
        "primary_quote.number": "quote_number",
        "term_months": "term_months",
        "primary_quote.term_months": "term_months",
    }

    def _validation_reason(self, exc: ValidationError) -> tuple[str, str]:
        if hasattr(exc, "error_dict"):
            key, errors = next(iter(exc.message_dict.items()))
            name = self.FIELD_COLUMNS.get(key)
            if name:
                return self.col(name), " ".join(errors)
            return self.col("external_id"), f"{key.replace('_', ' ')}: {' '.join(errors)}"
        return self.col("external_id"), " ".join(exc.messages)

    def _load_refs(self) -> dict[str, dict[str, _Ref]]:
        """The mappings of every Salesforce Id the file names, read once (in chunks), so a row looks them up in
        memory; the rows add theirs as they are written."""
        refs: dict[str, dict[str, _Ref]] = {kind: {} for kind in ExternalRef.Kind.values}
        for kind, field_name in (
            (ExternalRef.Kind.ACCOUNT, "account_id"),
            (ExternalRef.Kind.CONTACT, "contact_id"),
            (ExternalRef.Kind.OPPORTUNITY, "external_id"),
        ):
            ids = sorted({row[field_name] for row in self.parsed.rows if row.get(field_name)})
            for start in range(0, len(ids), 1000):
                found = ExternalRef.objects.filter(kind=kind, external_id__in=ids[start : start + 1000])
                for external_id, pk, object_id in found.values_list("external_id", "pk", "object_id"):
                    refs[kind][external_id] = _Ref(pk, object_id)
        return refs

    def _ref(self, kind: str, external_id: str) -> _Ref | None:
        return self.refs[kind].get(external_id) if external_id else None

    def _map(self, kind: str, external_id: str, object_id: int, ref: _Ref | None) -> None:
        if not external_id:
            return
        if ref is None:
            created = ExternalRef.objects.create(kind=kind, external_id=external_id, object_id=object_id)
            self.pending.append((kind, external_id, _Ref(created.pk, object_id)))
        elif ref.object_id != object_id:
            ExternalRef.objects.filter(pk=ref.pk).update(object_id=object_id)
            self.pending.append((kind, external_id, _Ref(ref.pk, object_id)))

    def _account(self, clean: _Clean, result: RowResult) -> Account:
        ref = self._ref(ExternalRef.Kind.ACCOUNT, clean.account_id)
        account = Account.objects.filter(pk=ref.object_id).first() if ref else None
        if account is None:
            same_name = list(Account.objects.filter(name__iexact=clean.account_name).order_by("pk")[:2])
            if len(same_name) > 1 and not clean.account_id:
                raise RowRefused(
                    self.col("account_name"), f"{clean.account_name!r} names several accounts: add the Account ID."
                )
            account = same_name[0] if len(same_name) == 1 else None
        if account is None:
            if not clean.account_country:
                raise RowRefused(self.col("account_country"), f"required to create the account {clean.account_name}.")
            region = self.regions[clean.account_region or clean.owner.region_id]
            account = om.account_create(
                actor=self.actor, data={"name": clean.account_name, "country": clean.account_country, "region": region}
            )
            result.accounts_created += 1
        elif ref is not None:
            # Matched by its Salesforce Id: the file is the truth for what it carries.
            data: dict[str, Any] = {"name": clean.account_name}
            if clean.account_country:
                data["country"] = clean.account_country
            if clean.account_region:
                data["region"] = self.regions[clean.account_region]
            before = (account.name, account.country, account.region_id)
            account = om.account_update(actor=self.actor, account_id=account.pk, data=data)
            if before != (account.name, account.country, account.region_id):
                result.changes["account"] = [list(before), [account.name, account.country, account.region_id]]
        self._map(ExternalRef.Kind.ACCOUNT, clean.account_id, account.pk, ref)
        return account

    def _contact(self, clean: _Clean, account: Account, result: RowResult) -> Contact | None:
        if not (clean.contact_id or clean.contact_email or clean.contact_name):
            return None
        ref = self._ref(ExternalRef.Kind.CONTACT, clean.contact_id)
        contact = Contact.objects.filter(pk=ref.object_id).first() if ref else None
        if contact is None and clean.contact_email:
            contact = account.contacts.filter(email__iexact=clean.contact_email).order_by("pk").first()
        if contact is not None and contact.account_id != account.pk:
            raise RowRefused(self.col("contact_id"), "this contact belongs to another account.")
        if contact is None:
            if not clean.contact_name:
                raise RowRefused(self.col("contact_name"), "required to create the contact.")
            contact = om.contact_create(
                actor=self.actor, data={"account": account, "name": clean.contact_name, "email": clean.contact_email}
            )
            result.contacts_created += 1
        else:
            data = {"name": clean.contact_name or contact.name, "email": clean.contact_email or contact.email}
            if (contact.name, contact.email) != (data["name"], data["email"]):
                result.changes["contact"] = [[contact.name, contact.email], [data["name"], data["email"]]]
                contact = om.contact_update(actor=self.actor, contact_id=contact.pk, data=data)
        self._map(ExternalRef.Kind.CONTACT, clean.contact_id, contact.pk, ref)
        return contact

    def _write(self, clean: _Clean) -> RowResult:
        result = RowResult("unchanged", clean.external_id, clean.name)
        account = self._account(clean, result)
        contact = self._contact(clean, account, result)
        # Foreign keys by their ids, as opportunity_fields_set compares them; the region is the account's.
        values: dict[str, Any] = {
            "name": clean.name,
            "account": account.pk,
            "owner": clean.owner.pk,
            "region": account.region_id,
            "stage": clean.stage,
            "amount": clean.amount,
            "close_date": clean.close_date,
        }
        for optional in ("type", "net_arr", "start_date", "end_date"):
            if getattr(clean, optional) is not None:
                values[optional] = getattr(clean, optional)
        quote: dict[str, Any] = {"amount": clean.amount}
        if clean.start_date:
            quote["start_date"] = clean.start_date
        if clean.term_months:
            quote["term_months"] = clean.term_months
        if contact is not None:
            quote["sold_to_contact"] = quote["bill_to_contact"] = contact
        if clean.quote_number:
            quote["number"] = clean.quote_number

        ref = self._ref(ExternalRef.Kind.OPPORTUNITY, clean.external_id)
        opp = (
            Opportunity.objects.select_for_update(no_key=True).filter(pk=ref.object_id).first()
            if ref is not None
            else None
        )
        taken = clean.quote_number and Quote.objects.filter(number=clean.quote_number).exclude(opportunity=opp).exists()
        if taken:
            raise RowRefused(self.col("quote_number"), f"“{clean.quote_number}” is another opportunity's quote.")
        if opp is None:
            if "number" not in quote:
                quote["number"] = f"SF-{clean.external_id}"
                if Quote.objects.filter(number=quote["number"]).exists():
                    raise RowRefused(self.col("quote_number"), f"“{quote['number']}” is another opportunity's quote.")
            opp = om.opportunity_record_create(
                values={Opportunity._meta.get_field(k).attname: v for k, v in values.items()},
                actor=self.actor,
                action="imported",
                recorded=("name", "stage", "amount", "close_date"),
                comment=f"{self.comment}: Salesforce {clean.external_id}.",
                primary_quote=quote,
            )
            self._map(ExternalRef.Kind.OPPORTUNITY, clean.external_id, opp.pk, ref)
            result.outcome, result.opportunity_id = "created", opp.pk
            return result

        if self.actor is not None and self.actor.is_rep and opp.owner_id != self.actor.pk:
            raise RowRefused(
                self.col("owner_email"), "this opportunity is another rep's: a rep imports only their own."
            )
        if not opp.quotes.filter(is_primary=True).exists():
            quote.setdefault("number", f"SF-{clean.external_id}")
        changes = om.opportunity_fields_set(
            opportunity=opp,
            values=values,
            actor=self.actor,
            action="reimported",
            comment=f"{self.comment}: Salesforce {clean.external_id}.",
            primary_quote=quote,
        )
        if changes and opp.is_locked:
            raise RowRefused(
                self.col("external_id"),
                f"the opportunity is {opp.get_approval_status_display().lower()}: it changes only through the "
                "approval workflow now.",
            )
        result.opportunity_id = opp.pk
        if changes:
            result.changes.update(changes)
        if result.changes:
            result.outcome = "updated"
        return result
