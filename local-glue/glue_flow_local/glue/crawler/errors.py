"""The error a crawl ends with."""

from __future__ import annotations


class CrawlError(Exception):
    """The crawl failed; the message becomes ``LastCrawl.ErrorMessage``."""
