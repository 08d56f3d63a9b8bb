"""The schedule engine, pure on purpose: no Django, no I/O and no clock.

``types`` (plain data), ``localtime`` (DST and quiet hours), ``text`` (placeholders and
rendering), ``cadence`` (what each kind of break wants on which day), ``engine``
(``plan_schedule``: fitting the wishes into real times) and ``library`` (checks of the
shipped prompt library). Nothing here imports Django; tests/test_layering.py checks it.
"""
