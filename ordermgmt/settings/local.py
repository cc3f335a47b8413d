"""Developer and `make run` settings: embedded defaults, debug on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-not-secret-0123456789abcdefghijklmnop")

VAR_DIR.mkdir(exist_ok=True)
# A console is read by a person: plain lines unless DJANGO_LOG_FORMAT says json.
if env.str("DJANGO_LOG_FORMAT", default="text") == "text":
    LOGGING["handlers"]["console"]["formatter"] = "text"  # noqa: F405
# Webhook receivers on this machine (the tests' local HTTP servers, a developer's listener) are allowed.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)
