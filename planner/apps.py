from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Break planner"

    def ready(self) -> None:
        # Register every task in every process (web included), so planner.enqueue can queue
        # a task by its name and tests can run it eagerly.
        from planner import tasks  # noqa: F401
