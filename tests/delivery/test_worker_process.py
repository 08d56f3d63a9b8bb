"""What a Celery worker process does once, before its first task (planner.tasks)."""

from __future__ import annotations

import gc

import pytest
from celery.signals import worker_process_init
from django.template import engines

from planner.delivery import channels


def _cached_templates() -> set[str]:
    """The names the cached template loader holds compiled templates for."""
    loader = engines["django"].engine.template_loaders[0]
    return {key.split("-")[0] for key in loader.get_template_cache}


@pytest.fixture
def fresh_process():
    """As a newly forked worker: no template compiled yet, nothing frozen."""
    engines["django"].engine.template_loaders[0].reset()
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_new_worker_process_loads_the_delivery_templates_and_freezes_what_it_loaded(
    fresh_process,
):
    assert not set(channels.TEMPLATES) & _cached_templates()
    assert gc.get_freeze_count() == 0

    worker_process_init.send(sender=None)

    assert set(channels.TEMPLATES) <= _cached_templates()
    # Django, Celery and the app are out of the full collections' reach.
    assert gc.get_freeze_count() > 10_000
    # Objects made afterwards, by the tasks, are still collected.
    cycle: list = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
