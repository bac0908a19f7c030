"""The Harbor Daily: a US broadsheet. JSON-LD, Open Graph, AP-style dates, AMP pages."""

from __future__ import annotations

BASE = r"""{% import "common/macros.html" as w %}<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ page_title }} | {{ outlet.name }}{% endblock %}</title>
<link rel="canonical" href="{{ canonical }}">
<link rel="alternate" type="application/rss+xml" title="{{ outlet.name }} - All stories" href="{{ rss_href }}">
<link rel="alternate" type="application/atom+xml" title="{{ outlet.name }} (Atom)" href="{{ atom_href }}">
{% block head %}{% endblock %}
<link rel="stylesheet" href="/static/css/hd-main.3f9a.css">
</head>
<body class="hd {% block body_class %}{% endblock %}">
{{ w.cookie_banner("onetrust", outlet.name) }}
<a class="skip-link" href="#main">Skip to content</a>
<header class="masthead">
  <div class="masthead__top"><span class="masthead__date">{{ today }}</span> <a href="/subscribe/">Subscribe</a> <a href="/account/login">Log in</a></div>
  <a class="masthead__logo" href="/">{{ outlet.name }}</a>
  <nav class="masthead__nav" aria-label="Sections"><ul>
  {% for item in nav %}<li><a href="{{ item.href }}">{{ item.label }}</a></li>{% endfor %}
  <li><a href="/search?q=">Search</a></li>
  </ul></nav>
</header>
<main id="main">
{% block main %}{% endblock %}
</main>
<footer class="site-footer">
  <nav><a href="/about/">About us</a> | <a href="/contact/">Contact</a> | <a href="/corrections/">Corrections</a> | <a href="/privacy/">Privacy policy</a> | <a href="/terms/">Terms of service</a> | <a href="{{ rss_href }}">RSS</a></nav>
  <p>&copy; {{ year }} The Harbor Daily Company. All rights reserved.</p>
  <p class="synthetic-notice">{{ synthetic_note }}</p>
</footer>
</body>
</html>
"""

ARTICLE = r"""{% extends "broadsheet/base.html" %}
{% block head %}
<meta name="description" content="{{ description }}">
<meta name="author" content="{{ authors|join(', ') }}">
<meta property="og:type" content="article">
<meta property="og:title" content="{{ title }}">
<meta property="og:url" content="{{ canonical }}">
<meta property="og:site_name" content="{{ outlet.name }}">
<meta property="article:published_time" content="{{ iso_utc }}">
{% if iso_modified %}<meta property="article:modified_time" content="{{ iso_modified }}">{% endif %}
<meta property="article:section" content="{{ section_label }}">
{% if amp_href %}<link rel="amphtml" href="{{ amp_href }}">{% endif %}
<script type="application/ld+json">{{ jsonld|safe }}</script>
{% endblock %}
{% block body_class %}story{% endblock %}
{% block main %}
<div class="story-layout">
<article class="story" itemscope itemtype="http://schema.org/NewsArticle">
  <header class="story__header">
    <p class="story__kicker"><a href="{{ section_href }}">{{ section_label }}</a></p>
    <h1 class="story__headline" itemprop="headline">{{ title }}</h1>
    <p class="story__dek">{{ description }}</p>
    <div class="story__byline">By {% for name in authors %}<span class="byline__name" itemprop="author">{{ name }}</span>{% if not loop.last %} and {% endif %}{% endfor %}
      <time datetime="{{ iso_utc }}" itemprop="datePublished">{{ byline_date }}</time>
      {% if updated_display %}<span class="story__updated">Updated {{ updated_display }}</span>{% endif %}
    </div>
    {{ w.share_bar(canonical, title, "icons") }}
  </header>
  <figure class="story__art"><img src="/static/img/placeholder-16x9.jpg" alt=""><figcaption>Illustration. Credit: Harbor Daily photo desk</figcaption></figure>
  <section class="story__body" itemprop="articleBody">
  {% for p in paragraphs %}
    <p>{{ p }}</p>
    {% if loop.index == 3 %}<aside class="inline-ad" aria-label="Advertisement"><span>Advertisement</span><div class="ad-slot" data-slot="mid-article"></div></aside>{% endif %}
  {% endfor %}
  </section>
  <p class="story__tip">Have a news tip? Contact our newsroom at tips@harbordaily.example.</p>
  {{ w.newsletter(outlet.name, "card") }}
  {{ w.comments_block(comments, comment_count, "threaded") }}
</article>
<aside class="story-rail">
  <h2>Related coverage</h2>
  <ol class="related-list">
  {% for r in related %}
    <li><a href="{{ r.href }}">{{ r.title }}</a><p>{{ r.teaser }}</p>{% if r.comments_href %}<a class="related-list__comments" href="{{ r.comments_href }}">{{ r.comment_count }} comments</a>{% endif %}</li>
  {% endfor %}
  </ol>
</aside>
</div>
{% endblock %}
"""

LISTING = r"""{% extends "broadsheet/base.html" %}
{% block body_class %}front{% endblock %}
{% block main %}
<h1 class="front__heading">{{ heading }}</h1>
{% if private_href %}<div class="front__promo"><a href="{{ private_href }}">Subscriber previews: tomorrow's stories today</a></div>{% endif %}
<div class="front-grid">
<section class="stream">
{% for item in items %}
  <article class="stream-item{% if loop.first and is_home %} stream-item--lead{% endif %}">
    <span class="stream-item__section">{{ item.section_label }}</span>
    <h2 class="stream-item__title"><a href="{{ item.href }}">{{ item.title }}</a></h2>
    <p class="stream-item__summary">{{ item.teaser }}</p>
    <p class="stream-item__meta">{{ item.byline_date }}{% if item.comments_href %} &middot; <a href="{{ item.comments_href }}">{{ item.comment_count }} comments</a>{% endif %}</p>
  </article>
{% endfor %}
</section>
{% if most_read %}
<aside class="most-read"><h2>Most read</h2><ol>
{% for item in most_read %}<li><a href="{{ item.href }}">{{ item.title }}</a></li>{% endfor %}
</ol></aside>
{% endif %}
</div>
<nav class="pagination" aria-label="Pages">
{% if prev_href %}<a rel="prev" href="{{ prev_href }}">&larr; Newer stories</a>{% endif %}
<span>Page {{ page }} of {{ pages }}</span>
{% if next_href %}<a rel="next" href="{{ next_href }}">Older stories &rarr;</a>{% endif %}
</nav>
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "article.html": ARTICLE, "listing.html": LISTING}
