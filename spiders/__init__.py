"""Scrapy project: discovery spider, politeness middlewares, archive and fetch-log pipelines."""
