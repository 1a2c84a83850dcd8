import os

import pytest

from gongzhi.core.testing.tree import build_tree


@pytest.fixture
def tree(db):
    return build_tree()


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
    if any("browser" in item.keywords for item in items):
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_configuration_caches():
    """Process-wide caches keyed by row ids must not outlive the test whose rows they name: a
    transactional test flushes its tables (a serialized one restores them), and the next test's
    content types, grids or compounds need not have the ids an earlier one cached — an audit row
    would then point at a content type that no longer exists."""
    from django.contrib.contenttypes.models import ContentType

    from gongzhi.cases import cache as cases_cache

    ContentType.objects.clear_cache()
    cases_cache.clear()
    yield
