"""The Rhine Courier: a European paper's English edition. JSON-LD with @graph, GDPR consent
layer, local time with CET/CEST label, no Open Graph dates."""

from __future__ import annotations

BASE = r"""{% import "common/macros.html" as w %}<!DOCTYPE html>
<html lang="en-GB" dir="ltr">
<head>
<meta charset="utf-8">
<title>{{ page_title }} – {{ outlet.name }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{{ canonical }}">
<link rel="alternate" type="application/rss+xml" href="{{ rss_href }}">
<link rel="alternate" type="application/atom+xml" href="{{ atom_href }}">
{% block head %}{% endblock %}
</head>
<body>
{{ w.cookie_banner("gdpr", outlet.name) }}
<div class="rc-page">
<header class="rc-header" role="banner">
  <div class="rc-header__brand"><a href="/">The Rhine <em>Courier</em></a><span class="rc-header__edition">English edition</span></div>
  <nav class="rc-nav"><ul class="rc-nav__list">
  {% for item in nav %}<li class="rc-nav__item"><a class="rc-nav__link" href="{{ item.href }}">{{ item.label }}</a></li>{% endfor %}
  </ul></nav>
  <div class="rc-header__tools"><a href="/abo/">Subscribe from €1</a> <a href="/login/">Sign in</a></div>
</header>
<div class="rc-main">{% block main %}{% endblock %}</div>
<footer class="rc-footer">
  <ul><li><a href="/impressum/">Imprint</a></li><li><a href="/datenschutz/">Data protection</a></li><li><a href="/privacy/">Privacy settings</a></li><li><a href="{{ rss_href }}">RSS</a></li></ul>
  <p>© {{ year }} Rhine Courier Verlag GmbH, Cologne</p>
  <p class="rc-footer__synthetic">{{ synthetic_note }}</p>
</footer>
</div>
</body>
</html>
"""

ARTICLE = r"""{% extends "european/base.html" %}
{% block head %}
<meta name="description" content="{{ description }}">
<script type="application/ld+json">{{ jsonld|safe }}</script>
{% endblock %}
{% block main %}
<article class="rc-article">
  <div class="rc-article__topline">{{ section_label }}</div>
  <h1 class="rc-article__title">{% if kicker %}<span class="rc-article__kicker">{{ kicker }}:</span> {% endif %}{{ title }}</h1>
  <div class="rc-article__intro"><p><strong>{{ description }}</strong></p></div>
  <div class="rc-article__meta"><p class="rc-article__authors">{{ authors|join(" and ") }}</p><p class="rc-article__date">{{ byline_date }}</p><p class="rc-article__readtime">{{ read_minutes }} min read</p></div>
  <div class="rc-article__body">
  {% for p in paragraphs %}
    {% if loop.index == 4 and related %}<div class="rc-teaser-inline"><span>Also read</span> <a href="{{ related[0].href }}">{{ related[0].title }}</a></div>{% endif %}
    <p class="rc-text">{{ p }}</p>
  {% endfor %}
  </div>
  <div class="rc-article__share">{{ w.share_bar(canonical, title, "icons") }}</div>
</article>
{{ w.newsletter(outlet.name, "card") }}
<section class="rc-related"><h2>More on this topic</h2>
{% for r in related %}<div class="rc-teaser"><a href="{{ r.href }}"><h3>{{ r.title }}</h3><p>{{ r.teaser }}</p></a>{% if r.comments_href %}<a class="rc-teaser__comments" href="{{ r.comments_href }}">{{ r.comment_count }} comments</a>{% endif %}</div>{% endfor %}
</section>
{{ w.comments_block(comments, comment_count, "threaded") }}
{% endblock %}
"""

LISTING = r"""{% extends "european/base.html" %}
{% block main %}
<h1 class="rc-section__title">{{ heading }}</h1>
<div class="rc-section">
{% for item in items %}
<div class="rc-teaser{% if loop.first %} rc-teaser--top{% endif %}"><a href="{{ item.href }}"><span class="rc-teaser__topline">{{ item.section_label }}</span><h2>{{ item.title }}</h2><p>{{ item.teaser }}</p></a><time>{{ item.byline_date }}</time>{% if item.comments_href %} <a href="{{ item.comments_href }}">{{ item.comment_count }} comments</a>{% endif %}</div>
{% endfor %}
</div>
{% if most_read %}<aside class="rc-mostread"><h2>Most read</h2><ol>{% for item in most_read %}<li><a href="{{ item.href }}">{{ item.title }}</a></li>{% endfor %}</ol></aside>{% endif %}
<div class="rc-pager">{% if prev_href %}<a href="{{ prev_href }}">‹ previous</a>{% endif %} Page {{ page }} / {{ pages }} {% if next_href %}<a href="{{ next_href }}">next ›</a>{% endif %}</div>
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "article.html": ARTICLE, "listing.html": LISTING}
