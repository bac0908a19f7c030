"""Page templates, one module per outlet look: each defines TEMPLATES = {name: jinja source}.

Every look has `base.html`, `article.html` and `listing.html`; markup conventions (class names,
where the byline sits, which metadata exists) differ as they do between real sites.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

import jinja2

from pipeline.demo_site.themes import common

THEMES = ("broadsheet", "techblog", "statemedia", "european", "business", "wire")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """One jinja2 environment holding every theme's templates as '<theme>/<name>'."""
    sources = {f"common/{name}": text for name, text in common.TEMPLATES.items()}
    for theme in THEMES:
        module = importlib.import_module(f"pipeline.demo_site.themes.{theme}")
        sources.update({f"{theme}/{name}": text for name, text in module.TEMPLATES.items()})
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(theme: str, template: str, context: dict) -> str:
    return environment().get_template(f"{theme}/{template}").render(**context)
