"""Eastern Beacon: a Chinese state-media English site. No structured metadata: title, author and
date exist only as visible text ("By LI WEI | Eastern Beacon | Updated: 2026-11-12 22:05")."""

from __future__ import annotations

BASE = r"""{% import "common/macros.html" as w %}<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{{ page_title }} - {{ outlet.name }}</title>
<link rel="canonical" href="{{ canonical }}" />
<meta name="keywords" content="{{ keywords }}" />
<link href="/static/eb/css/global.css" rel="stylesheet" type="text/css" />
</head>
<body>
<div class="topBar"><div class="topNav"><a href="/">Home</a> | <a href="/mobile/">Mobile</a> | <a href="/epaper/">E-paper</a> | <a href="/zh/">中文</a></div></div>
<div class="header"><div class="logo"><a href="/"><img src="/static/eb/img/logo.png" alt="{{ outlet.name }}" /></a></div>
<div class="search"><form action="/search" method="get"><input name="query" type="text" /><input type="submit" value="Search" /></form></div></div>
<div class="nav"><ul>
{% for item in nav %}<li><a href="{{ item.href }}" target="_top">{{ item.label|upper }}</a></li>{% endfor %}
</ul></div>
{% block main %}{% endblock %}
<div class="footer">
<div class="footerNav"><a href="/about/">About Eastern Beacon</a> | <a href="/advertise/">Advertise on site</a> | <a href="/contact/">Contact us</a> | <a href="/jobs/">Job offer</a></div>
<p>Copyright {{ year }} Eastern Beacon News Network. All rights reserved. The content (including but not limited to text, photo, multimedia information, etc) published in this site belongs to Eastern Beacon.</p>
<p class="synthetic">{{ synthetic_note }}</p>
</div>
</body>
</html>
"""

ARTICLE = r"""{% extends "statemedia/base.html" %}
{% block main %}
<div class="container">
<div class="crumbs"><a href="/">Home</a> / <a href="{{ section_href }}">{{ section_label }}</a></div>
<div class="container-left2">
<div class="lft_art" id="lft-art">
  <h1>{{ title }}</h1>
  <div class="info"><span class="info_l">By {{ authors|join(" and ") }} | {{ outlet.name }} | Updated: {{ byline_date }}</span>
  <span class="info_r">{{ w.share_bar(canonical, title, "tools") }}</span></div>
  <div id="Content">
  {% for p in paragraphs %}
    <p>{{ p }}</p>
  {% endfor %}
  </div>
  <div class="pagination"><p>[Editor: {{ editor }}]</p></div>
</div>
<div class="selectpage"><span>Top</span> <span>BACK</span></div>
<div class="mb10"><h3>Related Stories</h3><ul>
{% for r in related %}<li><a href="{{ r.href }}" target="_blank">{{ r.title }}</a><span class="tease">{{ r.teaser }}</span></li>{% endfor %}
</ul></div>
{{ w.newsletter(outlet.name, "box") }}
{{ w.comments_block(comments, comment_count, "flat") }}
</div>
<div class="container-right">
<div class="mb10 hot"><h3>Most Viewed in 24 Hours</h3><ul>
{% for r in related[:3] %}<li><a href="{{ r.href }}">{{ r.title }}</a></li>{% endfor %}
</ul></div>
<div class="mb10"><h3>Top News</h3><p>China's economy maintains steady recovery momentum, officials say.</p><p>Experts hail high-quality development in western regions.</p></div>
</div>
</div>
{% endblock %}
"""

LISTING = r"""{% extends "statemedia/base.html" %}
{% block main %}
<div class="container">
<div class="container-left2">
<div class="mb10 tw3_01_2"><h2 class="tw3_01_2_t">{{ heading }}</h2>
{% for item in items %}
<span class="tw3_01_2_p"><a href="{{ item.href }}" target="_blank">{{ item.title }}</a></span>
<p class="tw3_01_2_b">{{ item.teaser }}</p><b>{{ item.byline_date }}</b>
{% endfor %}
</div>
<div id="div_currpage">
{% if prev_href %}<a href="{{ prev_href }}" class="pagestyle">Previous</a>{% endif %}
<span class="cur">{{ page }}</span> / {{ pages }}
{% if next_href %}<a href="{{ next_href }}" class="pagestyle">Next</a>{% endif %}
</div>
</div>
{% if most_read %}<div class="container-right"><div class="mb10 hot"><h3>Editor's Picks</h3><ul>
{% for item in most_read %}<li><a href="{{ item.href }}">{{ item.title }}</a></li>{% endfor %}
</ul></div></div>{% endif %}
</div>
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "article.html": ARTICLE, "listing.html": LISTING}
