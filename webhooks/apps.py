from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self):
        from ordermgmt.services.integration import integration_event

        from .receivers import integration_event_received

        # Strong reference and a uid: connected once however often ready() runs (tests, autoreload).
        integration_event.connect(integration_event_received, dispatch_uid="webhooks.integration_event_received")
