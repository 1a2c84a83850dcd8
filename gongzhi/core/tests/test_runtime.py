import gc

from gongzhi.core.runtime import settle_startup


def test_settle_startup_freezes_what_start_up_allocated():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settle_startup()
        # the URL patterns (and every view module they import) are now out of the collector's reach
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
