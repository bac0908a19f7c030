"""Lotus Business Review: an Asian business paper. No structured metadata; the byline and a
"Published ... SGT" line are the only sources of author and date. AMP pages."""

from __future__ import annotations

BASE = r"""{% import "common/macros.html" as w %}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<title>{{ page_title }}, {{ outlet.name }}</title>
<link rel="canonical" href="{{ canonical }}">
{% block head %}{% endblock %}
<link rel="stylesheet" href="/assets/lbr/app.css?v=20261101">
</head>
<body>
<div class="paywall-meter" data-remaining="3">You have 3 free articles left this month. <a href="/subscribe">Subscribe for full access</a></div>
<header class="lbr-header">
  <div class="lbr-ticker"><span>STI 3,612.40 +0.4%</span> <span>USD/SGD 1.3421</span> <span>Brent 78.10</span></div>
  <a class="lbr-logo" href="/">LOTUS <b>BUSINESS REVIEW</b></a>
  <nav class="lbr-menu">{% for item in nav %}<a href="{{ item.href }}">{{ item.label }}</a>{% endfor %}</nav>
</header>
{{ w.cookie_banner("simple", outlet.name) }}
<div class="lbr-wrap">{% block main %}{% endblock %}</div>
<footer class="lbr-footer">
  <div class="lbr-footer__cols"><div><h5>Lotus Business Review</h5><a href="/about">About</a><br><a href="/advertise">Advertise</a></div><div><h5>Help</h5><a href="/faq">FAQ</a><br><a href="/contact">Contact</a></div></div>
  <p>Copyright {{ year }} Lotus Media Holdings Pte Ltd. Co. Regn. No. 198400000X. All rights reserved.</p>
  <p class="lbr-footer__note">{{ synthetic_note }}</p>
</footer>
</body>
</html>
"""

ARTICLE = r"""{% extends "business/base.html" %}
{% block head %}{% if amp_href %}<link rel="amphtml" href="{{ amp_href }}">{% endif %}{% endblock %}
{% block main %}
<div class="row">
<div class="col-main">
  <div class="lbr-breadcrumb"><a href="/">Home</a> &rsaquo; <a href="{{ section_href }}">{{ section_label }}</a></div>
  <h1 class="lbr-headline">{{ title }}</h1>
  <div class="lbr-standfirst">{{ description }}</div>
  <div class="lbr-author">{% for name in authors %}<div class="lbr-author__card"><span class="lbr-author__name">{{ name }}</span><span class="lbr-author__role">{{ "Correspondent" if loop.first else "Contributor" }}</span></div>{% endfor %}</div>
  <div class="lbr-timestamp">Published {{ byline_date }}</div>
  {{ w.share_bar(canonical, title, "tools") }}
  <div class="lbr-body">
  {% for p in paragraphs %}<p>{{ p }}</p>
  {% if loop.index == 2 %}<div class="lbr-gift"><button>Gift this article</button> <span>Subscribers can gift 10 articles a month.</span></div>{% endif %}
  {% endfor %}
  </div>
  <div class="lbr-keywords">Topics: <a href="{{ section_href }}">{{ section_label }}</a></div>
  {{ w.comments_block(comments, comment_count, "flat") }}
</div>
<aside class="col-side">
  {{ w.newsletter(outlet.name, "box") }}
  <div class="lbr-panel"><h4>Related stories</h4>
  {% for r in related %}<div class="lbr-panel__item"><a href="{{ r.href }}">{{ r.title }}</a><p>{{ r.teaser }}</p></div>{% endfor %}
  </div>
</aside>
</div>
{% endblock %}
"""

LISTING = r"""{% extends "business/base.html" %}
{% block main %}
<h1 class="lbr-section-title">{{ heading }}</h1>
<div class="lbr-list">
{% for item in items %}
<div class="lbr-card"><div class="lbr-card__meta">{{ item.section_label }} &middot; {{ item.byline_date }}</div><h3 class="lbr-card__title"><a href="{{ item.href }}">{{ item.title }}</a></h3><p class="lbr-card__sub">{{ item.teaser }}</p>{% if item.comments_href %}<a href="{{ item.comments_href }}">{{ item.comment_count }} comments</a>{% endif %}</div>
{% endfor %}
</div>
{% if most_read %}<div class="lbr-popular"><h4>Popular</h4><ul>{% for item in most_read %}<li><a href="{{ item.href }}">{{ item.title }}</a></li>{% endfor %}</ul></div>{% endif %}
<div class="lbr-pages">{% if prev_href %}<a href="{{ prev_href }}">Previous</a>{% endif %} <span>{{ page }}</span> {% if next_href %}<a href="{{ next_href }}">Load more</a>{% endif %}</div>
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "article.html": ARTICLE, "listing.html": LISTING}
