"""Every page in zh-TW and English, with no untranslated strings: the templates are scanned."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from brokersec.web.i18n import LANGS, messages

TEMPLATES = Path(str(resources.files("brokersec.web") / "templates"))
KEY_CALL = re.compile(r"""_\(\s*["']([a-z0-9_.]+)["'](?!\s*\+)""")
DYNAMIC_KEY = re.compile(r"""_\(\s*["']([a-z0-9_.]+)["']\s*\+""")
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<[^>]+>", re.S)
VISIBLE_ATTRS = re.compile(r"""\b(title|placeholder|aria-label|alt|data-confirm)=(["'])(.*?)\2""", re.S)
LETTERS = re.compile(r"[A-Za-z\u3400-\u9fff]")


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_both_languages_have_the_same_keys():
    zh, en = messages("zh-TW"), messages("en")
    assert set(zh) == set(en), f"only zh: {set(zh) - set(en)}; only en: {set(en) - set(zh)}"
    assert all(v.strip() for v in zh.values()) and all(v.strip() for v in en.values())


@pytest.mark.parametrize("path", template_files(), ids=lambda p: p.name)
def test_template_has_no_bare_text(path: Path):
    source = path.read_text(encoding="utf-8")
    for match in VISIBLE_ATTRS.finditer(source):
        literal = JINJA.sub("", match.group(3))
        assert not LETTERS.search(literal), f"{path.name}: {match.group(1)}=… has text outside _(): {literal!r}"
    text = TAG.sub(" ", JINJA.sub(" ", source))
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    bare = [w for w in text.split() if LETTERS.search(w)]
    assert bare == [], f"{path.name}: untranslated text {bare[:10]}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_used_exists(lang):
    table = messages(lang)
    missing = []
    for path in template_files():
        source = path.read_text(encoding="utf-8")
        missing += [f"{path.name}: {k}" for k in KEY_CALL.findall(source) if k not in table]
        for prefix in DYNAMIC_KEY.findall(source):
            assert any(k.startswith(prefix) for k in table), f"{path.name}: no keys for {prefix}*"
    assert missing == []


def test_placeholders_match_between_languages():
    zh, en = messages("zh-TW"), messages("en")
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key
