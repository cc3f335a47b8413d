"""One row of a Salesforce import: the mapping of Salesforce's values to ours, the checks that refuse a row naming
its column, and the writes through ordermgmt's services (which keep the history), each row in a savepoint. This app
writes only its own records besides (row outcomes, the Salesforce Id mapping)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ordermgmt import services as om
from ordermgmt.exceptions import ApplicationError
from ordermgmt.models import Account, Contact, Opportunity, Quote, Region, User

from .. import parsing
from ..models import ExternalRef, ImportRun
from .values import MAX_MONEY, STAGES, TYPES, RowRefused, RowResult, _Clean, _norm, _Ref, _us_date

_Stage = Opportunity.Stage


class RowImporter:
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
