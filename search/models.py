from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A user's named view of one list: the list's query string (filters, region, sort), to open again in one click."""

    class List(models.TextChoices):
        QUEUE = "queue", "Approval queue"
        OPPORTUNITIES = "opportunities", "My opportunities"
        CASES = "cases", "Cases"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    list = models.CharField(max_length=20, choices=List.choices)
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "list", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "list", "name"], name="saved_filter_unique_name")]

    def __str__(self) -> str:
        return f"{self.user} · {self.list} · {self.name}"
