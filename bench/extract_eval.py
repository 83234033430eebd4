"""Extraction quality on the labelled corpus (tests/fixtures/corpus): recall and precision of
primaries, overall, per language, per shape and per format, and the posts it gets wrong.

Each post is handed to the pure extractor the way a crawl hands it over: the body picked by
the post's ``body_selector`` (what a source's ``content_selector`` would be), with its title
and language. ``--whole-page`` hands over the whole page instead (no selector configured);
``--flat`` the body rendered as plain ``<p>`` lines (a mirror / repost).

Scored (the truth file's ``uncertain`` papers are left out of every count):

* linked primaries: the primaries whose ID is written in the post; recall = found / all;
* precision: found primaries (with an ID) that are primaries / all found primaries;
* invented: IDs the extractor returns that are not written in the post (must be 0);
* link-less primaries with a title entry: an ID-less primary entry was produced for the
  post (resolution by title is measured by ``--resolve``, part 2).

    .venv/bin/python bench/extract_eval.py [--whole-page | --flat] [--show-wrong]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extract import extract_papers  # noqa: E402
from tests import corpus  # noqa: E402
from tests.corpus import ids_written, post_input  # noqa: E402
from tests.flatten import flat_html  # noqa: E402


def score(truth: dict[str, dict], *, whole_page: bool = False, flat: bool = False) -> dict:
    """Totals per group (all, lang:, shape:, format:) and the posts it gets wrong."""
    totals = defaultdict(lambda: defaultdict(int))
    wrong = []
    for key, post in truth.items():
        html = post_input(key, whole_page=whole_page)
        if flat and key.endswith(".html"):
            html = flat_html(html)
        found = extract_papers(html, title=post.get("title"), lang=post.get("lang"), url=post["url"])
        uncertain = set(post.get("uncertain") or {})
        primary = [i for i in post["primary"] if i not in uncertain]
        linkless = set(post.get("linkless") or {})
        linked = [i for i in primary if i not in linkless]
        got = [f.arxiv_id for f in found if f.role == "primary" and f.arxiv_id and f.arxiv_id not in uncertain]
        titled = [f for f in found if f.role == "primary" and not f.arxiv_id]
        written = ids_written(key)
        invented = [i for i in (f.arxiv_id for f in found if f.arxiv_id) if i not in written]
        hit = len(set(got) & set(linked))
        false = [i for i in got if i not in primary]
        row = {"posts": 1, "linked": len(linked), "hit": hit, "found": len(got), "false": len(false),
               "invented": len(invented), "linkless": len(linkless - uncertain),
               "linkless_titled": min(len(linkless - uncertain), len(titled))}
        for group in ("all", f"lang:{post['lang']}", f"shape:{post['shape']}", f"format:{post['format']}"):
            for k, v in row.items():
                totals[group][k] += v
        missed = [i for i in linked if i not in got]
        if missed or false or invented:
            wrong.append((key, post["shape"], missed, false, invented))
    return {"totals": totals, "wrong": wrong}


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def report(result: dict, *, show_wrong: bool) -> None:
    totals = result["totals"]
    print(f"{'group':28} {'posts':>5} {'recall':>7} {'precision':>9} {'invented':>8} {'linkless titled':>16}")
    order = ["all"] + sorted(g for g in totals if g != "all")
    for g in order:
        t = totals[g]
        print(f"{g:28} {t['posts']:>5} {ratio(t['hit'], t['linked']):>7} "
              f"{ratio(t['found'] - t['false'], t['found']):>9} {t['invented']:>8} "
              f"{t['linkless_titled']:>7}/{t['linkless']:<8}")
    wrong = result["wrong"]
    print(f"\nposts with a miss, a false primary or an invented ID: {len(wrong)}")
    if show_wrong:
        for key, shape, missed, false, invented in wrong:
            print(f"  {key} [{shape}] missed={missed} false={false} invented={invented}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole-page", action="store_true", help="extract from the whole page")
    parser.add_argument("--flat", action="store_true", help="extract from the body rendered flat")
    parser.add_argument("--show-wrong", action="store_true", help="list the posts it gets wrong")
    args = parser.parse_args()
    truth = corpus.truth()
    print(f"corpus: {len(truth)} posts, {len({p['site'] for p in truth.values()})} sites, "
          f"{len({p['format'] for p in truth.values()})} formats, "
          f"{len({p['lang'] for p in truth.values()})} languages")
    report(score(truth, whole_page=args.whole_page, flat=args.flat), show_wrong=args.show_wrong)


if __name__ == "__main__":
    main()
