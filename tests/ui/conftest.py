import os

# Playwright's sync API runs an event loop in the test thread; the ORM calls in the browser tests' bodies are
# still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
