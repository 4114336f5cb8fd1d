"""Interface text in zh-TW and English.

Templates never hold visible text of their own: every string is ``_("key")``, looked up in
``locales/zh-TW.yaml`` and ``locales/en.yaml``. A test scans the templates and fails on any key
missing from either file and on any bare text outside ``_()``, so a page can never ship half
translated. Regulation text is data, not interface text, and comes from the catalog in both
languages.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

LANGS = ("zh-TW", "en")
DEFAULT_LANG = "zh-TW"


@cache
def messages(lang: str) -> dict[str, str]:
    text = (resources.files("brokersec.web") / "locales" / f"{lang}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k): str(v) for k, v in data.items()}


def translator(lang: str):  # type: ignore[no-untyped-def]
    """``_(key, **values)`` for one language; an unknown key shows itself so it is noticed, never hidden."""
    table = messages(lang if lang in LANGS else DEFAULT_LANG)

    def _(key: str, **values: object) -> str:
        text = table.get(key, key)
        return text.format(**values) if values else text

    return _


def pick_lang(query: str | None, cookie: str | None, accept: str | None) -> str:
    """Explicit choice (query, then cookie) beats the browser's Accept-Language; zh-TW by default."""
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate
    if accept and accept.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def short(lang: str) -> str:
    """``zh`` or ``en``: the suffix of bilingual fields in the catalog (``text_zh``, ``text_en``)."""
    return "en" if lang == "en" else "zh"
