"""`entries(template, items, name)`: a listing's entries, each rendered by a partial.

A template writes `{{ entries("partials/story-card.html", stories, "story") }}` where it
would loop over `stories` and include the partial for each: the HTML is the same, with
one difference: the partial sees the item (as `name`) and the environment's globals
(`url`, `site`, ...), not the listing page's other variables. So each entry's HTML
depends on its item alone, and `digest serve` keeps it: while a listing's item is the
very object it was when the entry was made (views are shared and never changed), the
entry is not rendered again. At 10,000 articles the stories listing has 3,341 entries
(1.8 MB) and the quotes listing 27 MB of them; an edit that changes one story's counts
rendered all 3,341 again (about 150 ms). Kept per listing page, so no entry outlives
the page it is on; without kept views (`digest build`) nothing is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from generator.positions import remade


@jinja2.pass_context
def entries(context: jinja2.runtime.Context, template: str, items: Sequence[Any], name: str):
    env = context.environment
    partial = env.get_template(template, parent=context.name)

    def make(item: Any) -> str:
        return partial.render({name: item})

    store = getattr(env, "digest_entries", None)
    if store is None:
        return Markup("".join(map(make, items)))
    key = (context.get("page_path"), template, name)
    return Markup("".join(remade(store, key, items, make, key=id)))


def install(env: jinja2.Environment) -> None:
    env.globals["entries"] = entries
    env.digest_entries = None  # set while views are kept: `keep`


def keep(env: jinja2.Environment, views: dict) -> None:
    """Keep entries' HTML in `views` (`Renderer.keep_views`)."""
    env.digest_entries = views.setdefault("\0entries", {})
