"""The HTTP cache for conditional GETs only: a stored page stands in for a fresh one when
the site answers 304 Not Modified, and never because the site failed.

Scrapy's stock cache serves the stored copy when a download fails (its
``httpcache/errorrecovery`` stat) and, with the RFC 2616 policy, when the site answers
5xx. Either way retry, errbacks and the source's health never see the failure: a blog
that is down for days looks healthy. Here a failed download is a failure."""

from __future__ import annotations

from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Request, Response


class RevalidateOnlyPolicy(RFC2616Policy):
    """RFC 2616 caching, but a stored response is valid only when the site says so (304)."""

    def is_cached_response_valid(self, cachedresponse: Response, response: Response,
                                 request: Request) -> bool:
        return response.status == 304


class FailureIsFailureCacheMiddleware(HttpCacheMiddleware):
    """HttpCacheMiddleware without error recovery: the exception goes on to the retry
    middleware and, in the end, to the request's errback."""

    def process_exception(self, request: Request, exception: Exception) -> None:
        request.meta.pop("cached_response", None)
        return None
