from django.apps import AppConfig


class OrdermgmtConfig(AppConfig):
    name = "ordermgmt"
    verbose_name = "Sales records"
