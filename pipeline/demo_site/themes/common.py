"""Markup shared by several looks: clutter widgets (cookie banner, share bar, newsletter box,
comments) in a few house styles, and the AMP page."""

from __future__ import annotations

MACROS = r"""
{% macro cookie_banner(style, outlet_name) %}
{% if style == "onetrust" %}
<div id="onetrust-consent-sdk"><div id="onetrust-banner-sdk" class="otFlat" role="dialog" aria-label="Cookie banner">
  <div class="ot-sdk-container"><p id="onetrust-policy-text">We and our 312 partners store and access information on your device to personalise ads and content, measure audiences and develop products. You can accept or manage your choices.</p>
  <button id="onetrust-accept-btn-handler">Accept all</button> <button id="onetrust-pc-btn-handler">Manage preferences</button></div>
</div></div>
{% elif style == "gdpr" %}
<dialog class="consent-layer" open><h2>Your privacy matters to us</h2>
  <p>{{ outlet_name }} uses cookies and similar technologies. With your consent we process data to show personalised advertising and to analyse how our site is used. You can withdraw consent at any time under "Privacy settings".</p>
  <form method="dialog"><button value="accept">Agree and continue</button> <button value="reject">Reject</button> <a href="/privacy/">Settings</a></form>
</dialog>
{% else %}
<div class="cookie-notice" data-nosnippet><span>This site uses cookies to improve your experience. By continuing to browse you agree to our use of cookies.</span> <a href="/cookies/">Learn more</a> <button class="cookie-notice__ok">OK</button></div>
{% endif %}
{% endmacro %}

{% macro share_bar(url, title, style) %}
{% if style == "icons" %}
{# Share targets are buttons, not links to real networks: nothing here may lead a crawler off loopback. #}
<ul class="share-icons" aria-label="Share this story">
  <li><button class="share-icons__x" data-url="{{ url }}" data-text="{{ title }}">Share on X</button></li>
  <li><button class="share-icons__fb" data-url="{{ url }}">Share on Facebook</button></li>
  <li><button class="share-icons__li" data-url="{{ url }}">Share on LinkedIn</button></li>
  <li><a class="share-icons__mail" href="mailto:?subject={{ title|urlencode }}&amp;body={{ url|urlencode }}">Email</a></li>
</ul>
{% else %}
<div class="share-tools"><span class="share-tools__label">Share</span>
  <button data-share="wechat">WeChat</button> <button data-share="weibo">Weibo</button> <button data-share="x">X</button> <button data-share="copy">Copy link</button> <button data-share="print">Print</button>
</div>
{% endif %}
{% endmacro %}

{% macro newsletter(outlet_name, style) %}
<aside class="{{ 'newsletter-signup' if style == 'card' else 'nl-box' }}">
  <h3>{{ "Get the morning briefing" if style == "card" else "Newsletter" }}</h3>
  <p>The day's most important stories from {{ outlet_name }}, in your inbox before breakfast. Free for subscribers.</p>
  <form action="/newsletter/subscribe" method="post"><input type="email" name="email" placeholder="Your email address"> <button type="submit">Sign up</button></form>
  <p class="small">By signing up you agree to our Terms and Privacy Policy. You can unsubscribe at any time.</p>
</aside>
{% endmacro %}

{% macro comments_block(comments, count, style) %}
<section id="comments" class="{{ 'comments' if style == 'threaded' else 'reader-comments' }}">
  <h2>{{ count }} Comments</h2>
  <p class="comments__policy">Comments are moderated. Please keep the discussion civil and on topic.</p>
  {% for c in comments %}
  <article class="comment"><header><b class="comment__author">{{ c.name }}</b> <span class="comment__time">{{ c.ago }}</span></header><p>{{ c.text }}</p><footer><button>Reply</button> <button>Report</button> <span>{{ c.likes }} likes</span></footer></article>
  {% endfor %}
  <a class="comments__more" href="?comments=all#comments">Load more comments</a>
</section>
{% endmacro %}
"""

AMP = r"""<!doctype html>
<html amp lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }} - {{ outlet.name }}</title>
<link rel="canonical" href="{{ canonical }}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<script async src="/static/amp/v0.js"></script>
<style amp-custom>body{font-family:Georgia,serif;margin:0 1rem}.amp-byline{color:#555}</style>
</head>
<body>
<header class="amp-header"><a href="/">{{ outlet.name }}</a></header>
<article class="amp-article">
  <h1>{{ title }}</h1>
  <p class="amp-byline">By {{ authors|join(" and ") }} &middot; {{ byline_date }}</p>
  {% for p in paragraphs %}<p>{{ p }}</p>
  {% endfor %}
</article>
<amp-social-share type="twitter"></amp-social-share>
<footer class="amp-footer"><p>&copy; {{ year }} {{ outlet.name }}. <a href="{{ canonical }}">View full site</a></p>
<p class="synthetic-notice">{{ synthetic_note }}</p></footer>
</body>
</html>
"""

PRIVATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ heading }} | {{ outlet.name }}</title>
<meta name="robots" content="noindex, nofollow"></head>
<body><header><a href="/">{{ outlet.name }}</a></header>
<main><h1>{{ heading }}</h1>
<p>Subscriber preview. These drafts are not for publication and must not be indexed.</p>
{% for item in items %}<article><h2><a href="{{ item.href }}">{{ item.title }}</a></h2><p>{{ item.teaser }}</p></article>
{% endfor %}</main>
<footer><p class="synthetic-notice">{{ synthetic_note }}</p></footer></body></html>
"""

TEMPLATES = {"macros.html": MACROS, "amp.html": AMP, "private.html": PRIVATE}
