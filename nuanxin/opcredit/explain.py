"""Score and outcome explanations, rendered in the reader's language from stored parameters.

An assessment stores the official Chinese sentences (the PDF's) and, next to them, what they
were made of: per breakdown row its numbers, both labels and a `note` {code, params}; per
outcome reason a {code, params} in `Assessment.outcome_detail["reasons"]`. Pages and the API
render those with gettext at read time. An assessment stored before the parameters were kept
(no `v: 2` row, no `reasons`) shows its stored text as it is.

Pure functions, no models: `rules.py` and `models.py` both use them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext, gettext_noop

ROW_TEXT = gettext_noop(
    "%(label)s：实际 %(value)s（满分线 %(good)s，零分线 %(bad)s），得 %(score).2f 分，"
    "权重 %(weight)s，折合 %(points).2f 分。"
)

SENTENCES = gettext_noop("%(first)s%(second)s")  # two sentences; English puts a space between

NOTES: dict[str, str] = {
    "no_notices": gettext_noop("本期无已判定的违规提醒，计满分。"),
    "response_mix": gettext_noop(
        "按期整改 %(fixed)d 条，平均 %(avg).1f 分钟；逾期未整改（已处罚）%(unfixed)d 条，"
        "每条按 %(k)s 分钟计。"
    ),
    "no_fleet_raw": gettext_noop("本期无登记车辆，无法按每百辆车折算，按原始次数计。"),
}

REASONS: dict[str, str] = {
    "exit": gettext_noop("%(periods)s 连续 %(n)d 期得分低于 %(t)s 分，依规清退。"),
    "reward": gettext_noop(
        "得分不低于 %(t)s 分，配额增加 %(p)s%%（%(q)d 辆 × %(p)s%%，四舍五入，至少 %(min)d 辆），"
        "即增加 %(bikes)d 辆。"
    ),
    "reward_no_fleet": gettext_noop("得分不低于 %(t)s 分，但本期登记车辆少于 %(f)d 辆，不予奖励。"),
    "penalty": gettext_noop(
        "得分低于 %(t)s 分，配额削减 %(p)s%%（%(q)d 辆 × %(p)s%%，四舍五入，至少 %(min)d 辆），"
        "即削减 %(bikes)d 辆。"
    ),
    "unregistered": gettext_noop("发现未登记车辆 %(n)d 辆，每辆削减配额 %(k)d 辆，共 %(c)d 辆。"),
    "unregistered_already": gettext_noop(
        "另有未登记车辆 %(n)d 辆已在此前考核中削减过配额，不再重复削减。"
    ),
    "quota_net": gettext_noop(
        "配额 %(before)d → %(after)d 辆：增加 %(plus)d 辆，削减 %(minus)d 辆，净变化 %(net)s 辆。"
    ),
    "no_quota_kind": gettext_noop(
        "按考核规则，%(kind)s考核只计分、出具报告并判定清退，不调整配额（同一事件不重复计算）。"
    ),
    "low_warning": gettext_noop(
        "得分低于清退线 %(t)s 分（相邻各期连续 %(k)d 期）；连续 %(n)d 期低于该线将被清退，"
        "请关注下一期（%(next)s）。"
    ),
    "unchanged": gettext_noop("得分在奖惩区间之间，配额维持不变。"),
}

KIND_LABELS = {"monthly": gettext_noop("月度"), "quarterly": gettext_noop("季度")}


def reason(code: str, **params: Any) -> dict[str, Any]:
    """A stored outcome reason: its code and JSON-safe parameters."""
    if code not in REASONS:
        raise KeyError(code)
    return {"code": code, "params": params}


def _render(template: str, params: dict[str, Any]) -> str:
    values = dict(params)
    if "kind" in values:
        values["kind"] = gettext(KIND_LABELS.get(values["kind"], values["kind"]))
    if isinstance(values.get("periods"), list):
        values["periods"] = gettext("、").join(values["periods"])
    return gettext(template) % values


def reason_text(item: dict[str, Any]) -> str:
    return _render(REASONS[item["code"]], item.get("params") or {})


def reasons_display(detail: dict[str, Any] | None, stored: list[str]) -> list[str]:
    """The outcome reasons in the active language; the stored text when there are no codes."""
    items = (detail or {}).get("reasons")
    if not items or any(i.get("code") not in REASONS for i in items):
        return list(stored)
    try:
        return [reason_text(i) for i in items]
    except (KeyError, TypeError, ValueError):  # parameters a later wording does not fit
        return list(stored)


def _language_key() -> str:
    return (get_language() or "").split("-")[0].lower()


def localised(row: dict[str, Any], key: str) -> str:
    """row["label_en"] for an English reader when there is one, else row["label"]."""
    return str(row.get(f"{key}_{_language_key()}") or row.get(key) or "")


def note_text(row: dict[str, Any]) -> str:
    """What the row's number rests on (no fleet, unfixed reminders), in the active language."""
    note = row.get("note")
    if not note or note.get("code") not in NOTES:
        return ""
    return _render(NOTES[note["code"]], note.get("params") or {})


def row_text(row: dict[str, Any]) -> str:
    """One breakdown row's sentence (and its note) in the active language."""
    sentence = gettext(ROW_TEXT) % {
        "label": localised(row, "label"),
        "value": row["value"],
        "good": row["good"],
        "bad": row["bad"],
        "score": row["score"],
        "weight": row["weight"],
        "points": row["points"],
    }
    note = note_text(row)
    return gettext(SENTENCES) % {"first": sentence, "second": note} if note else sentence


def breakdown_display(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The breakdown rows with label, explain and text in the active language."""
    out = []
    for row in rows:
        if row.get("v") != 2:  # stored before the parameters were kept: as stored
            out.append(row)
            continue
        try:
            text, note = row_text(row), note_text(row)
        except (KeyError, TypeError, ValueError):  # parameters a later wording does not fit
            text, note = row.get("text", ""), ""
        out.append(
            {
                **row,
                "label": localised(row, "label"),
                "explain": localised(row, "explain"),
                "text": text,
                "note_text": note,
            }
        )
    return out
