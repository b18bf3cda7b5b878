"""What a worker does to the garbage collector once started."""

from __future__ import annotations

import gc

from strongroom.app import YOUNG_COLLECTION_THRESHOLD, freeze_startup_heap


def test_the_startup_heap_is_frozen_and_young_objects_collected_less_often() -> None:
    threshold = gc.get_threshold()
    kept = [{"built": "at start"} for _ in range(100)]
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, threshold[1], threshold[2])
        assert threshold[0] < YOUNG_COLLECTION_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
