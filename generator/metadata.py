"""Page metadata for search engines and link previews: canonical URLs, OpenGraph and
Twitter tags (in `partials/meta.html`), schema.org `NewsArticle` JSON-LD.

`install(env, config, urls)` adds to the Jinja environment:

* `canonical(page_path)`: the absolute URL of a page, or "" when `base_url` is relative;
* `feed_url`: the digest feed's absolute URL, or "";
* the `news_article_jsonld` filter: an article view -> a safe `<script>` body.

JSON is embedded safely: `<`, `>` and `&` are written as `\\u003c` etc., so no text in an
article can close the script element (`</script>`) or open a comment (`<!--`).
"""

from __future__ import annotations

import json
from typing import Any

import jinja2
from markupsafe import Markup

from generator.config import Config
from generator.urls import Urls


def json_for_script(data: Any) -> Markup:
    """JSON that is safe inside `<script type="application/ld+json">`."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(text)


def _absolute(urls: Urls, url: str) -> str:
    """A root-relative href made by `Urls.href` -> absolute URL."""
    if urls.absolute_base and url.startswith(urls.base_path):
        return urls.absolute(url[len(urls.base_path) :])
    return url


def news_article(article: dict[str, Any], config: Config, urls: Urls) -> dict[str, Any]:
    """schema.org NewsArticle for an article view (see `render.article_view`).

    Entities: when the view carries `entities` (a list of dicts with `name`, optional
    `type`, `url` and `same_as` list), they become `about` things with `sameAs` links
    (e.g. Wikidata), so search engines can tell which Kim or which Vostochny is meant.
    """
    url = _absolute(urls, article["url"])
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article["title"],
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": config.language,
        "isPartOf": {"@type": "WebSite", "name": config.title, "url": urls.absolute("")},
    }
    if article.get("date"):
        data["datePublished"] = article["date"].isoformat()
    if article.get("standfirst"):
        data["description"] = article["standfirst"]
    if article.get("source"):
        data["publisher"] = {"@type": "NewsMediaOrganization", "name": article["source"]}
    if article.get("byline"):
        data["author"] = {"@type": "Person", "name": article["byline"]}
    elif article.get("source"):
        data["author"] = {"@type": "Organization", "name": article["source"]}
    if article.get("original_url"):
        data["isBasedOn"] = article["original_url"]
    if article.get("dateline"):
        data["dateline"] = article["dateline"]
    if article.get("word_count"):
        data["wordCount"] = article["word_count"]
    about = []
    for entity in article.get("entities") or []:
        thing: dict[str, Any] = {
            "@type": _schema_type(entity.get("type", "")),
            "name": entity["name"],
        }
        if entity.get("url"):
            thing["url"] = _absolute(urls, entity["url"])
        if entity.get("same_as"):
            thing["sameAs"] = list(entity["same_as"])
        about.append(thing)
    if about:
        data["about"] = about
    return data


def _schema_type(kind: str) -> str:
    return {"person": "Person", "place": "Place", "organization": "Organization"}.get(kind, "Thing")


def install(env: jinja2.Environment, config: Config, urls: Urls) -> None:
    from generator.publish import feed_url

    env.globals["canonical"] = lambda page_path: (
        urls.absolute(page_path) if urls.absolute_base else ""
    )
    env.globals["feed_url"] = feed_url(urls) or ""
    env.filters["news_article_jsonld"] = lambda view: json_for_script(
        news_article(view, config, urls)
    )
    env.filters["json_script"] = json_for_script
