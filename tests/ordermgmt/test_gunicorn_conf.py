"""The gunicorn settings file at the project root: its worker hook."""

import gc
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    gc.unfreeze()


def test_a_worker_imports_the_urlconf_then_freezes_what_it_loaded(conf):
    """After the hook, the views are imported and the objects loaded so far are out of the collector's reach, so a
    full collection does not walk them (the ~50 ms stall it removes is measured by bench/load.py's p99)."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    conf.post_worker_init(worker=None)
    assert "approvals.api.views" in sys.modules
    assert gc.get_freeze_count() > 10_000
