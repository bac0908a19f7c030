"""Circuit Ledger: a US tech site. Open Graph and article:* meta tags, no JSON-LD; date-only byline."""

from __future__ import annotations

BASE = r"""{% import "common/macros.html" as w %}<!doctype html>
<html lang="en" class="no-js">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ page_title }} &#8211; {{ outlet.name }}</title>
<link rel="canonical" href="{{ canonical }}">
<link rel="alternate" type="application/rss+xml" href="{{ rss_href }}" title="Circuit Ledger Feed">
<link rel="alternate" type="application/atom+xml" href="{{ atom_href }}" title="Circuit Ledger Atom Feed">
{% block head %}{% endblock %}
<link rel="stylesheet" id="cl-theme-css" href="/wp-content/themes/circuit/style.min.css?ver=6.4" media="all">
</head>
<body class="{% block body_class %}{% endblock %} wp-theme-circuit">
<div id="page" class="site">
<header id="masthead" class="site-header">
  <div class="site-branding"><a href="/" rel="home" class="custom-logo-link">CIRCUIT<span>LEDGER</span></a></div>
  <nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
  {% for item in nav %}<li class="menu-item"><a href="{{ item.href }}">{{ item.label }}</a></li>{% endfor %}
  <li class="menu-item menu-item-podcast"><a href="/podcast/">Podcast</a></li>
  <li class="menu-item menu-item-events"><a href="/events/">Events</a></li>
  </ul></nav>
  <a class="header-cta" href="/membership/">Become a member</a>
</header>
{{ w.cookie_banner("simple", outlet.name) }}
<div id="content" class="site-content">
{% block main %}{% endblock %}
</div>
<footer id="colophon" class="site-footer">
  <div class="footer-widgets"><section class="widget"><h4>Circuit Ledger</h4><p>Independent reporting on chips, code and the companies that build them.</p></section>
  <section class="widget"><h4>Follow</h4><ul><li><a href="{{ rss_href }}">RSS</a></li><li><a href="/newsletters/">Newsletters</a></li></ul></section></div>
  <div class="site-info">&copy; {{ year }} Circuit Ledger Media LLC &middot; <a href="/privacy-policy/">Privacy</a> &middot; <a href="/ethics/">Ethics policy</a></div>
  <div class="site-info synthetic-notice">{{ synthetic_note }}</div>
</footer>
</div>
</body>
</html>
"""

ARTICLE = r"""{% extends "techblog/base.html" %}
{% block head %}
<meta name="description" content="{{ description }}">
<meta name="author" content="{{ authors|join(', ') }}">
<meta property="og:locale" content="en_US">
<meta property="og:type" content="article">
<meta property="og:title" content="{{ title }}">
<meta property="og:description" content="{{ description }}">
<meta property="og:url" content="{{ canonical }}">
<meta property="article:published_time" content="{{ iso_local }}">
{% if iso_modified %}<meta property="article:modified_time" content="{{ iso_modified }}">{% endif %}
<meta name="twitter:card" content="summary_large_image">
{% endblock %}
{% block body_class %}post-template-default single single-post{% endblock %}
{% block main %}
<div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{{ number }}" class="post type-post status-publish format-standard hentry category-{{ section_slug }}">
  <header class="entry-header">
    <div class="entry-categories"><a href="{{ section_href }}" rel="category tag">{{ section_label }}</a></div>
    <h1 class="entry-title">{{ title }}</h1>
    <div class="entry-meta"><span class="byline">{% for name in authors %}<span class="author vcard"><a class="url fn n" href="/author/{{ name|lower|replace(' ', '-') }}/">{{ name }}</a></span>{% if not loop.last %}, {% endif %}{% endfor %}</span>
      <span class="posted-on">{{ byline_date }}</span>
      <a class="comments-link" href="#comments">{{ comment_count }} Comments</a></div>
  </header>
  {{ w.share_bar(canonical, title, "icons") }}
  <div class="entry-content">
  {% for p in paragraphs %}
    <p>{{ p }}</p>
    {% if loop.index == 2 %}<div class="wp-block-cl-related-inline"><strong>Read more:</strong> <a href="{{ related[0].href if related else section_href }}">{{ related[0].title if related else section_label }}</a></div>{% endif %}
  {% endfor %}
  </div>
  <footer class="entry-footer"><span class="tags-links">Tagged <a href="{{ section_href }}" rel="tag">{{ section_label }}</a></span></footer>
</article>
{{ w.newsletter(outlet.name, "box") }}
<section class="more-stories"><h2 class="widget-title">More from Circuit Ledger</h2>
{% for r in related %}<div class="more-stories__item"><h3><a href="{{ r.href }}">{{ r.title }}</a></h3><div class="excerpt">{{ r.teaser }}</div></div>{% endfor %}
</section>
{{ w.comments_block(comments, comment_count, "threaded") }}
</main></div>
{% endblock %}
"""

LISTING = r"""{% extends "techblog/base.html" %}
{% block body_class %}{{ "home blog" if is_home else "archive category" }}{% endblock %}
{% block main %}
<div id="primary" class="content-area"><main id="main" class="site-main">
<header class="page-header"><h1 class="page-title">{{ heading }}</h1></header>
{% for item in items %}
<article class="post hentry">
  <h2 class="entry-title"><a href="{{ item.href }}" rel="bookmark">{{ item.title }}</a></h2>
  <div class="entry-meta">{{ item.byline_date }} &middot; {{ item.section_label }}{% if item.comments_href %} &middot; <a href="{{ item.comments_href }}">{{ item.comment_count }} Comments</a>{% endif %}</div>
  <div class="entry-summary"><p>{{ item.teaser }} [&hellip;]</p></div>
</article>
{% endfor %}
<nav class="navigation posts-navigation"><div class="nav-links">
{% if next_href %}<div class="nav-previous"><a href="{{ next_href }}">Older posts</a></div>{% endif %}
{% if prev_href %}<div class="nav-next"><a href="{{ prev_href }}">Newer posts</a></div>{% endif %}
</div></nav>
</main></div>
{% if most_read %}<aside id="secondary" class="widget-area"><section class="widget widget_trending"><h2 class="widget-title">Trending</h2><ul>
{% for item in most_read %}<li><a href="{{ item.href }}">{{ item.title }}</a></li>{% endfor %}
</ul></section></aside>{% endif %}
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "article.html": ARTICLE, "listing.html": LISTING}
