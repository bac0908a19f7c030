"""Meridian Wire: a wire service. Dublin Core and Open Graph meta tags, UTC timestamps, datelined
copy, 'Reporting by ...' credit line."""

from __future__ import annotations

BASE = r"""{% import "common/macros.html" as w %}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ page_title }} | {{ outlet.name }}</title>
<link rel="canonical" href="{{ canonical }}">
<link rel="alternate" type="application/rss+xml" href="{{ rss_href }}">
{% block head %}{% endblock %}
</head>
<body data-theme="wire">
{{ w.cookie_banner("onetrust", outlet.name) }}
<header class="mw-header"><a class="mw-logo" href="/">MERIDIAN <span>WIRE</span></a>
<nav class="mw-nav" aria-label="Main">{% for item in nav %}<a class="mw-nav__link" href="{{ item.href }}">{{ item.label }}</a>{% endfor %}</nav>
<a class="mw-header__pro" href="/professional/">Meridian Pro</a></header>
<main class="mw-main">{% block main %}{% endblock %}</main>
<footer class="mw-footer">
<p>All quotes delayed a minimum of 15 minutes. See here for a complete list of exchanges and delays.</p>
<p>&copy; {{ year }} Meridian Wire. All rights reserved. <a href="/trust-principles/">Trust Principles</a> &middot; <a href="/terms/">Terms of Use</a></p>
<p class="mw-footer__synthetic">{{ synthetic_note }}</p>
</footer>
</body>
</html>
"""

ARTICLE = r"""{% extends "wire/base.html" %}
{% block head %}
<meta name="DC.title" content="{{ title }}">
<meta name="DC.creator" content="{{ authors|join('; ') }}">
<meta name="DC.date.issued" content="{{ iso_utc }}">
<meta name="DC.publisher" content="{{ outlet.name }}">
<meta property="og:title" content="{{ title }}">
<meta property="og:type" content="article">
<meta property="og:url" content="{{ canonical }}">
<meta name="description" content="{{ description }}">
{% endblock %}
{% block main %}
<article class="mw-article" data-testid="article">
  <header><span class="mw-article__section"><a href="{{ section_href }}">{{ section_label }}</a></span>
  <h1 data-testid="Heading">{{ title }}</h1>
  <div class="mw-article__info"><span class="mw-article__byline">By {{ authors|join(" and ") }}</span> <time class="mw-article__time">{{ byline_date }}</time> <span class="mw-article__updated">{{ "Updated " + updated_display if updated_display else "" }}</span></div>
  </header>
  {{ w.share_bar(canonical, title, "icons") }}
  <div class="mw-article__body" data-testid="ArticleBody">
  {% for p in paragraphs %}<p data-testid="paragraph-{{ loop.index0 }}">{{ p }}</p>
  {% endfor %}
  </div>
  <p class="mw-article__credit">Reporting by {{ authors|join(" and ") }}; Editing by {{ editor }}</p>
  <p class="mw-article__standards">Our Standards: The Meridian Wire Trust Principles.</p>
</article>
<section class="mw-related"><h2>Read next</h2>
{% for r in related %}<div class="mw-related__item"><a href="{{ r.href }}">{{ r.title }}</a> <span>{{ r.teaser }}</span></div>{% endfor %}
</section>
{{ w.newsletter(outlet.name, "box") }}
{{ w.comments_block(comments, comment_count, "flat") }}
{% endblock %}
"""

LISTING = r"""{% extends "wire/base.html" %}
{% block main %}
<h1 class="mw-section-title">{{ heading }}</h1>
<ul class="mw-story-list">
{% for item in items %}
<li class="mw-story-card"><a class="mw-story-card__title" href="{{ item.href }}">{{ item.title }}</a><p>{{ item.teaser }}</p><time>{{ item.byline_date }}</time>{% if item.comments_href %} <a href="{{ item.comments_href }}">{{ item.comment_count }} comments</a>{% endif %}</li>
{% endfor %}
</ul>
{% if most_read %}<aside class="mw-trending"><h2>Trending</h2>{% for item in most_read %}<a href="{{ item.href }}">{{ item.title }}</a>{% endfor %}</aside>{% endif %}
<nav class="mw-pagination">{% if prev_href %}<a href="{{ prev_href }}">Previous</a>{% endif %} <span>{{ page }} of {{ pages }}</span> {% if next_href %}<a href="{{ next_href }}">Next</a>{% endif %}</nav>
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "article.html": ARTICLE, "listing.html": LISTING}
