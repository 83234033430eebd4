"""Language of a piece of blog text: English, Korean, Japanese, Chinese or Russian.

Uses lingua (lingua-language-detector) restricted to the five languages paperbot reads.
The detector is built lazily on the first call (not at import), once per process.
"""

from __future__ import annotations

import re
import threading

__all__ = ["detect_lang", "LANGS"]

LANGS = ("en", "ko", "ja", "zh", "ru")

# lingua's cost grows with the text; a few hundred characters decide the language.
_MAX_CHARS = 600

_LATIN = re.compile(r"[A-Za-z]+")
_NON_LATIN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]")

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _script(sample: str) -> str | None:
    """The language the script of a non-Latin sample decides among the five: Hangul → ko,
    kana → ja, Cyrillic → ru, a dozen Han characters without kana → zh; None when it takes
    the model (a few Han characters alone; scripts mixed)."""
    hangul = _HANGUL.search(sample) is not None
    kana = _KANA.search(sample) is not None
    cyrillic = _CYRILLIC.search(sample) is not None
    if hangul + kana + cyrillic > 1:
        return None
    if hangul:
        return "ko"
    if kana:
        return "ja"
    if cyrillic:
        return None if _HAN.search(sample) else "ru"
    # Han characters only: Japanese prose cannot go a sentence without kana (の, は, を…);
    # a few characters (a title, a term) are left to the model
    return "zh" if len(_HAN.findall(sample)) >= 12 else None


_detector = None
_lock = threading.Lock()


def _get_detector():
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = LanguageDetectorBuilder.from_languages(
                    Language.ENGLISH, Language.KOREAN, Language.JAPANESE,
                    Language.CHINESE, Language.RUSSIAN,
                ).build()
    return _detector


def detect_lang(text: str | None) -> str | None:
    """ISO 639-1 code ("en", "ko", "ja", "zh", "ru") of ``text``, or None when it has no
    letters or lingua cannot decide."""
    if not text:
        return None
    sample = text.strip()[:_MAX_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return None
    other = len(_NON_LATIN.findall(sample))
    if not other:
        # no other script: among the five languages only English is written in Latin (what
        # lingua would answer, without running its model)
        return "en" if _LATIN.search(sample) else _detect(sample)
    if other * 3 >= 0.5 * sum(len(w) for w in _LATIN.findall(sample)):
        # Korean / Japanese / Chinese / Russian commentary full of English terms ("2B 샘플에
        # 대해 학습한 18B EVA CLIP"): the blog's language is the non-Latin one
        sample = _LATIN.sub(" ", sample)
        script = _script(sample)
        if script is not None:  # the only one of the five languages written this way
            return script
    return _detect(sample)


def _detect(sample: str) -> str | None:
    language = _get_detector().detect_language_of(sample)
    if language is None:
        return None
    return language.iso_code_639_1.name.lower()
