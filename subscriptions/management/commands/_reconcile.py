"""Shared body of the reconcile_* commands: queue a run and execute it here, in this process."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from ordermgmt.exceptions import ApplicationError


def run_now(command, *, kind: str, **kwargs) -> None:
    from subscriptions.services import reconciliation_run_create, reconciliation_run_execute

    try:
        run = reconciliation_run_create(kind=kind, enqueue=False, **kwargs)
    except ApplicationError as exc:
        raise CommandError(exc.message) from exc
    except ValidationError as exc:  # a bad --month: the message names it
        errors = "; ".join(f"--{field.replace('_', '-')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        raise CommandError(errors) from None
    run = reconciliation_run_execute(run_id=run.pk)
    command.stdout.write(f"{kind} run {run.pk}: {run.status}, {run.counts}")
    if run.status != "done":
        raise CommandError(run.error or f"run {run.pk} is {run.status}")
