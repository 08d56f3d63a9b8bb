"""What an OPTIONS request answers: DRF's metadata, without guessing at a body.

DRF's ``SimpleMetadata`` describes the body of a view's POST by calling
``view.get_serializer()``, which fails (a 500) on a view that names no ``serializer_class``.
Here the views that read a body name the serializer of that body; a view that reads none
(activate, cancel, acknowledge) answers with its name, description and media types only.
"""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class BodyAwareMetadata(SimpleMetadata):
    def determine_actions(self, request: Request, view: Any) -> dict:
        if getattr(view, "serializer_class", None) is None:
            return {}
        return super().determine_actions(request, view)
