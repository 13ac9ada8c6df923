"""jinja2 templates for files the components render from their real outputs (feature_store.yaml, dashboards)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent


@functools.cache
def _environment() -> jinja2.Environment:
    # StrictUndefined: a template variable the component forgot to pass is an error, not an empty string.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """Render ``components/templates/<name>`` with ``context``."""
    return _environment().get_template(name).render(**context)
