"""Load the shipped prompt library (seeds/prompts.json); `manage.py loadprompts` refreshes it."""

from pathlib import Path

from django.db import migrations

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "prompts.json"


def load(apps, schema_editor):
    from planner.schedule.library import load_prompt_library

    PromptTemplate = apps.get_model("planner", "PromptTemplate")
    existing = set(PromptTemplate.objects.values_list("key", flat=True))
    PromptTemplate.objects.bulk_create(
        PromptTemplate(key=spec.id, category=spec.category.value, text=spec.text,
                       kinds=sorted(k.value for k in spec.kinds))
        for spec in load_prompt_library(SEEDS)
        if spec.id not in existing
    )


class Migration(migrations.Migration):
    dependencies = [("planner", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
