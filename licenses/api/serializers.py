from rest_framework import serializers

from ordermgmt.models import Opportunity, Region

from ..models import LicenseDelivery, LicenseTicket


class LicenseDeliveryInputSerializer(serializers.Serializer):
    """The licensing system's feed: one delivery naming the opportunity, or a subscription name + Sold To email."""

    external_id = serializers.CharField(max_length=100)
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.all(), required=False, allow_null=True
    )
    subscription_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    sold_to_email = serializers.EmailField(max_length=254)
    delivered_at = serializers.DateTimeField()

    def validate(self, attrs):
        if not attrs.get("opportunity") and not attrs.get("subscription_name"):
            raise serializers.ValidationError({"opportunity": ["Name the opportunity or a subscription_name."]})
        return attrs


class LicenseDeliveryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = LicenseDelivery
        fields = ["id", "external_id", "opportunity", "subscription_name", "sold_to_email", "delivered_at", "source"]


class LicenseTicketOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = LicenseTicket
        fields = [
            "id",
            "opportunity",
            "sold_to_email",
            "reason",
            "status",
            "created_at",
            "region",
            "route_to_market",
            "assignee",
            "closed_at",
        ]


class LicenseTicketDeliveredInputSerializer(serializers.Serializer):
    delivered_on = serializers.DateField(required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class LicenseFailureQuerySerializer(serializers.Serializer):
    region = serializers.ChoiceField(choices=Region.Code.values, required=False)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)


class LicenseFailureCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_reason = serializers.DictField(child=serializers.IntegerField())
    by_route_to_market = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
