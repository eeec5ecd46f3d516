"""Every Chinese string the code or a template marks for translation has its English.

`makemessages` runs on a copy of the sources (so the catalogs in the tree are not touched),
and each string it finds is looked up in the catalogs this process has compiled
(`make test` compiles them first): one that comes back unchanged has no English.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def po_entries(path: Path) -> Iterator[tuple[str | None, str, bool, str]]:
    """(msgctxt, msgid, has a plural, first source reference) of each live entry."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        found = re.search(r"^msgid ((?:\".*\"\n?)+)", block, re.M)
        if found is None:
            continue
        raw = "".join(QUOTED.findall(found.group(1)))
        msgid = raw.encode().decode("unicode_escape").encode("latin1").decode("utf-8")
        context = re.search(r'^msgctxt "(.*)"', block, re.M)
        reference = re.search(r"^#: (\S+)", block, re.M)
        yield (
            context.group(1) if context else None,
            msgid,
            "\nmsgid_plural " in block,
            reference.group(1) if reference else str(path),
        )


def english(context: str | None, msgid: str, plural: bool) -> str:
    if context is not None:
        return translation.pgettext(context, msgid)
    if plural:
        return translation.ngettext(msgid, msgid, 1)
    return translation.gettext(msgid)


@pytest.mark.slow
def test_every_marked_chinese_string_has_an_english_translation(tmp_path):
    copy = tmp_path / "src"
    copy.mkdir()
    for part in ("manage.py", "nuanxin", "templates", "locale"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy / part)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "-v", "0"],
        cwd=copy,
        check=True,
        env={"PATH": "/usr/bin:/bin", "NUANXIN_DEMO": "1", "NUANXIN_VAR_DIR": str(tmp_path)},
    )
    missing: list[str] = []
    with translation.override("en"):
        for po in sorted(copy.glob("**/locale/en/LC_MESSAGES/django.po")):
            for context, msgid, plural, where in po_entries(po):
                if CJK.search(msgid) and english(context, msgid, plural) == msgid:
                    missing.append(f"{where}: {msgid}")
    assert not missing, "no English for:\n" + "\n".join(sorted(set(missing)))


# Chinese a template may show as it is: the brand, the switch to Chinese (always written in
# Chinese), and the server error page, which renders without a request and so speaks both.
AS_IS = {("base.html", "暖芯"), ("base.html", "中文")}
BILINGUAL = {"500.html"}
NOT_TEXT = [
    re.compile(r"\{%\s*blocktranslate.*?endblocktranslate\s*%\}", re.S),
    re.compile(r"\{%\s*translate\s+(\"[^\"]*\"|'[^']*').*?%\}"),
    re.compile(r"_\((\"[^\"]*\"|'[^']*')\)"),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"<script.*?</script>", re.S),
]


def test_templates_show_no_chinese_outside_translation_tags():
    unmarked = []
    for path in sorted((ROOT / "templates").glob("**/*.html")):
        name = str(path.relative_to(ROOT / "templates"))
        if name in BILINGUAL:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in NOT_TEXT:
            text = pattern.sub("", text)
        for run in re.findall(r"[\u4e00-\u9fff]+", text):
            if (name, run) not in AS_IS:
                unmarked.append(f"{name}: {run}")
    assert not unmarked, unmarked


def test_a_label_ends_in_the_colon_of_the_page_language(client_for, personas):
    from django.template import Context, Template

    label = Template('{% load i18n %}{% translate "辖区" %}{% translate "：" %}北关')
    with translation.override("en"):
        assert label.render(Context()) == "District: 北关"
    with translation.override("zh-hans"):
        assert label.render(Context()) == "辖区：北关"
