"""FreezeSurvivors: freezes after a full collection, thaws on its interval, undoes on close."""

from __future__ import annotations

import gc

from k8slab.tui.gc_policy import FreezeSurvivors


def test_freezes_after_a_full_collection_and_thaws_on_its_interval() -> None:
    now = [0.0]
    policy = FreezeSurvivors(thaw_every=60.0, clock=lambda: now[0])
    try:
        gc.unfreeze()
        policy.tick()
        assert policy.freezes == 0 and gc.get_freeze_count() == 0  # no full collection yet
        gc.collect()
        policy.tick()
        assert policy.freezes == 1 and gc.get_freeze_count() > 0
        gc.collect(1)  # a young collection does not freeze again
        policy.tick()
        assert policy.freezes == 1
        now[0] = 61.0
        policy.tick()
        assert policy.thaws == 1 and gc.get_freeze_count() == 0
    finally:
        policy.close()
    assert gc.get_freeze_count() == 0 and policy._on_gc not in gc.callbacks
