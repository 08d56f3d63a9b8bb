"""What a Celery worker's processes do once, before their first task (planner.tasks)."""

from __future__ import annotations

import gc
import weakref

import pytest
from celery.signals import worker_init, worker_process_init
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


def test_a_worker_main_process_freezes_what_it_loaded_before_starting_its_pool(fresh_process):
    from planner import tasks

    # Called as the signal calls it (sent here for real, Celery's Django fix-up would also
    # run, and it needs a real worker).
    receivers = [ref() if isinstance(ref, weakref.ref) else ref for ref in _receivers(worker_init)]
    assert tasks.prepare_worker in receivers
    tasks.prepare_worker(sender=None)

    assert gc.get_freeze_count() > 10_000


def _receivers(signal) -> list:
    return [receiver for _key, receiver in signal.receivers]


def test_a_template_that_cannot_be_loaded_does_not_stop_the_worker_process(
    fresh_process, monkeypatch, caplog
):
    monkeypatch.setattr(channels, "TEMPLATES", ("email/prompt.txt", "email/no-such-template.txt"))

    with caplog.at_level("WARNING", logger="planner.tasks"):
        worker_process_init.send(sender=None)

    assert "worker.templates_not_loaded error=TemplateDoesNotExist" in caplog.text
    assert gc.get_freeze_count() > 10_000  # the rest of the preparation still happened
