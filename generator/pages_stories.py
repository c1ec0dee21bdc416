"""Page producer for stories: data/stories.json, the `stories/` index, `stories/<id>/`."""

from __future__ import annotations

from collections.abc import Iterable

from generator.data_files import json_rows
from generator.model import Output, Site
from generator.notes_pages import target_notes_view
from generator.positions import ID
from generator.render import Renderer
from generator.story_views import stories_rows, story_summaries, story_view


def story_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    urls = renderer.urls
    if renderer.claim():  # first: see pipeline.PAGE_PRODUCERS
        yield json_rows("data/stories.json", stories_rows(site, renderer), renderer.rows)
    if renderer.claim():
        summaries = story_summaries(site, renderer)
        yield renderer.listing(urls.path("page", "stories"), "stories.html", stories=summaries)
    fresh, kept = renderer.split("story", site.stories, ID, ID, lambda s: urls.path("story", s.id))
    if kept is not None:
        yield kept
    for story in fresh:
        yield renderer.page(
            urls.path("story", story.id),
            "story.html",
            story=story_view(site, story, urls),
            notes=target_notes_view(site, "story", story.id, urls),
        )
