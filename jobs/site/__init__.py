"""The static site: ``paperbot site build`` (see :mod:`jobs.site.build`)."""

from .build import BuildReport, build_site


def build_from_config(db, config, out_dir=None) -> BuildReport:
    """Build the site with the ``[site]`` settings (``out_dir`` overrides ``[site] out_dir``)."""
    site = config.site
    return build_site(db, out_dir or site.out_dir,
                      languages=list(site.languages or config.telegram.languages),
                      title=site.title, base_url=site.base_url, index_days=site.index_days,
                      feed_items=site.feed_items)


__all__ = ["BuildReport", "build_from_config", "build_site"]
