from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """The web sign-in, closed to integration accounts (they use API tokens only)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.role == user.Role.INTEGRATION:
            raise forms.ValidationError("Integration accounts use API tokens, not the web sign-in.", code="api_only")
