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
