from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _practice_staff_group(sender, **kwargs) -> None:
    from planner.admin import practice_staff_group

    practice_staff_group()


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Break planner"

    def ready(self) -> None:
        # Register every task in every process (web included), so planner.enqueue can queue
        # a task by its name and tests can run it eagerly.
        from planner import tasks  # noqa: F401

        # The "Practice staff" group follows the admin's needs after every migrate (the
        # permissions of planner's models exist by the time planner's signal is sent).
        post_migrate.connect(_practice_staff_group, sender=self)
