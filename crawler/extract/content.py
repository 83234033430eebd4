"""Find the content of a whole page: the post body by the content selectors of the
sites paperbot knows (and common CMS classes), page chrome dropped: scripts, nav, forms,
footers, and elements whose class/id names comments, related posts, sharing,
subscribing, tip jars, toolbars, sidebars, menus. Discourse oneboxes and link cards (a
copied title + abstract of the linked page) become the bare link. Pure, no I/O."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

CONTENT_SELECTORS = (
    "#content_views", "div.available-content", "div.body.markup", "div.cooked",
    "#js_content", "div.rich_media_content", "div.Post-RichText", "div.RichText",
    "div.tm-article-body", "div.article-formatted-body", "div.it-MdContent", "section.it-MdContent",
    "div.znc", "div.note-common-styles__textnote-body", "div.se-main-container",
    "div.tt_article_useless_p_margin", "article.markdown-body", "div.markdown-body",
    "div.tgme_widget_message_text", "div.expando div.md", "shreddit-post div[slot=text-body]",
    "div[data-test-id=post-content]", "td.fatitem", "table.fatitem",
    "div.article-content", "div.post-content", ".post-content",
    ".entry-content", ".article-content", ".post-body", ".markdown-body", "article", "main",
)
# a page that is a feed of messages: all of them are the content
FEED_SELECTORS = frozenset(["div.tgme_widget_message_text"])
_DROP_TAGS = frozenset([
    "script", "style", "noscript", "template", "iframe", "form", "button", "input", "select",
    "textarea", "svg", "canvas", "nav", "footer", "header", "img", "video", "audio", "picture",
    "link", "meta", "head", "title"])
_CHROME_RE = re.compile(
    r"(?:^|[-_\s])(?:comments?|related|recommend\w*|share|sharing|social|subscribe|subscription"
    r"|reward\w*|donat\w*|tip-?jar|sponsor\w*|footer|toolbar|side-?bar|navbar|nav|menu"
    r"|breadcrumbs?|advert\w*|ads|popup|modal|cookie\w*|ufi|button|paywall|author-bio"
    r"|newsletter-signup|tgme_widget_message_footer|tgme_widget_message_user"
    r"|tgme_widget_message_forwarded_from|tgme_widget_message_reply|js_tags|rich_media_tool"
    r"|rich_media_meta_list|related-posts|post-nav|pagination|tags?-list)(?:$|[-_\s])",
    re.IGNORECASE,
)
# link cards that copy the linked page's title and description
_CARD_RE = re.compile(
    r"(?:^|[-_\s])(?:onebox|link_preview|tgme_widget_message_link_preview|embed-block|zenn-embedded"
    r"|hatena-blog-card|og-grey|se-oglink|link-card|linkcard|bookmark|kg-bookmark-card|ogp)"
    r"(?:$|[-_\s])", re.I)


_CHROME_BOX = re.compile(
    r"^(?:side|sidebar|aside|related(?:[-_]\w+)?|comments?|comment[-_]?(?:list|area|section)|footer|nav|navbar"
    r"|menu|recommend\w*|widget[-_]?area|sharing|share)$", re.I)


def _in_chrome(tag: Tag) -> bool:
    """Inside an aside / nav / footer, or a box whose class or id *is* a chrome name
    ("sidebar", "related-posts", "comments"), not merely mentions one ("has-sidebar")."""
    for node in (tag, *tag.parents):
        if not isinstance(node, Tag):
            continue
        if node.name in ("aside", "nav", "footer"):
            return True
        cls = node.get("class")
        tokens = (cls if isinstance(cls, list) else (cls or "").split()) + [node.get("id") or ""]
        if any(t and _CHROME_BOX.match(t) for t in tokens):
            return True
    return False


def body_roots(soup: BeautifulSoup, html: str) -> list[Tag]:
    """The post body: the first content selector that matches outside page chrome; when it
    matches several elements that are not inside one another (a channel page's messages,
    a listing's cards), all of them, in page order."""
    head = html[:3000].lower()
    if "<body" in head or "<html" in head:
        for sel in CONTENT_SELECTORS:
            found = [f for f in soup.select(sel) if not _in_chrome(f)]
            found = [f for f in found if not any(p in found for p in f.parents)]
            if found:
                return found if (sel in FEED_SELECTORS or len(found) > 1 and _siblings(found)) else found[:1]
    return [soup.body or soup]


def _siblings(found: list[Tag]) -> bool:
    """Several matches that are cards of one list (same parent), not scattered pieces."""
    return len({id(f.parent) for f in found}) == 1 and len(found) >= 3


def strip_chrome(soup: BeautifulSoup, root: Tag) -> None:
    """Drop page chrome inside ``root`` in one pass (bs4's find_all/select cost more)."""
    doomed: list[Tag] = []
    cards: list[Tag] = []
    for tag in root.descendants:
        if not isinstance(tag, Tag):
            continue
        if tag.name in _DROP_TAGS:
            doomed.append(tag)
            continue
        attrs = tag.attrs
        if not attrs:
            continue
        if "data-onebox-src" in attrs:
            cards.append(tag)
            continue
        cls = attrs.get("class")
        ident = attrs.get("id")
        if not cls and not ident:
            continue
        key = (" ".join(cls) if isinstance(cls, list) else (cls or "")) + " " + (ident or "")
        if _CARD_RE.search(key):
            cards.append(tag)
        elif _CHROME_RE.search(key):
            doomed.append(tag)
    for card in cards:
        if card.parent is None:
            continue
        src = card.get("data-onebox-src") or card.get("data-url") or card.get("href")
        if not src:
            a = card.find("a", href=True)
            src = a["href"] if a else None
        if src is None:
            card.decompose()
            continue
        new = soup.new_tag("p")
        a = soup.new_tag("a", href=src)
        a.string = src
        new.append(a)
        card.replace_with(new)
    for tag in doomed:
        if tag.parent is not None:
            tag.decompose()


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(?:p|div|br|a|html|body|span|h[1-6]|li|table|article|section)\b",
                          text[:5000], re.I))
