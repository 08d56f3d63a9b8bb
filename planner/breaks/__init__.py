"""Clients, breaks and caseload absences: the therapist's side of a plan.

``services`` (every write), ``selectors`` (reads and the ``access_*`` checks),
``validation`` (input checks shared by forms, API and services), ``preview`` (the schedule a
break would get), ``prompts`` (the prompt library in the database), ``timeline`` (the SVG
drawing), ``forms`` and ``views`` (the therapist's pages).
"""
