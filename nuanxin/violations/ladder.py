"""首违普法、二次告诫: which rung of the ladder a violation lands on, and why.

Pure decisions over data already read; the service stores the result. The legal basis
cited in each reason comes from the catalogue's `ladder` section (data, not code).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from nuanxin.laws.models import Article, BehaviourTag, CatalogueVersion

EDUCATION = "education"
WARNING = "warning"
PROPOSE_CASE = "propose_case"


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (31 Mar − 1 → 28/29 Feb)."""
    year, month = moment.year, moment.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def quote(article: Article) -> str:
    """An article as the party reads it: citation plus the verbatim text we hold.

    Where we hold no verbatim text, the gist is given and marked as such, never passed
    off as statute text.
    """
    if article.text:
        return f"{article.full_citation}“{article.text}”"
    return _("%(cite)s（要旨：%(gist)s）") % {
        "cite": article.full_citation,
        "gist": article.summary,
    }


def basis_articles(catalogue: CatalogueVersion, stage: str) -> list[Article]:
    keys = (catalogue.ladder or {}).get(f"{stage}_basis", [])
    by_key = {a.key: a for a in Article.objects.filter(catalogue=catalogue, key__in=keys)}
    return [by_key[k] for k in keys if k in by_key]


@dataclass(frozen=True)
class LadderDecision:
    outcome: str
    reason: str
    deadline: date | None


def correction_deadline(tag: BehaviourTag, occurred_on: date) -> date:
    return occurred_on + timedelta(days=tag.correction_days)


def _deadline_text(tag: BehaviourTag, deadline: date) -> str:
    if tag.correction_days == 0:
        return _("立即改正")
    return _("于%(d)s前改正") % {"d": f"{deadline.year}年{deadline.month}月{deadline.day}日"}


def ladder_decide(
    *,
    tag: BehaviourTag,
    prior_count: int,
    harm: str,
    occurred_on: date,
) -> LadderDecision:
    months = tag.lookback_months
    violated = "、".join(a.full_citation for a in tag.violated_articles.all())
    penalty = "、".join(a.full_citation for a in tag.penalty_articles.all())
    deadline = correction_deadline(tag, occurred_on)
    by_when = _deadline_text(tag, deadline)
    cat = tag.catalogue
    if not tag.leniency_allowed:
        basis = "；".join(quote(a) for a in basis_articles(cat, "case"))
        reason = _(
            "“%(tag)s”不适用首违不罚（匹配库版本%(v)s），违反%(violated)s，依照%(penalty)s"
            "应予处罚（%(range)s），建议立案调查。%(basis)s"
        ) % {
            "tag": tag.name,
            "v": cat.version,
            "violated": violated,
            "penalty": penalty,
            "range": tag.penalty_text,
            "basis": basis,
        }
        return LadderDecision(PROPOSE_CASE, reason, deadline)
    if prior_count == 0 and harm == "serious":
        reason = _(
            "%(m)s个月内首次违法，但造成了严重危害后果，不符合《中华人民共和国行政处罚法》"
            "第三十三条“危害后果轻微”的条件；违反%(violated)s，依照%(penalty)s建议立案调查。"
        ) % {"m": months, "violated": violated, "penalty": penalty}
        return LadderDecision(PROPOSE_CASE, reason, deadline)
    if prior_count == 0:
        basis = "；".join(quote(a) for a in basis_articles(cat, "education"))
        reason = _(
            "%(m)s个月内首次违法（%(tag)s），危害后果轻微。依据%(basis)s本次不予处罚，"
            "对您进行普法教育。请%(by_when)s：%(remedy)s。再次违法将予以告诫并责令限期改正；"
            "依照%(penalty)s，该行为可处%(range)s。"
        ) % {
            "m": months,
            "tag": tag.name,
            "basis": basis,
            "by_when": by_when,
            "remedy": tag.remedy,
            "penalty": penalty,
            "range": tag.penalty_text,
        }
        return LadderDecision(EDUCATION, reason, deadline)
    if prior_count == 1:
        basis = "；".join(quote(a) for a in basis_articles(cat, "warning"))
        reason = _(
            "%(m)s个月内第二次违法（%(tag)s），已接受过普法教育。依据%(basis)s，"
            "现予以告诫，责令您%(by_when)s：%(remedy)s。逾期不改正或者再次违法的，"
            "将依照%(penalty)s立案处罚（%(range)s）。"
        ) % {
            "m": months,
            "tag": tag.name,
            "basis": basis,
            "by_when": by_when,
            "remedy": tag.remedy,
            "penalty": penalty,
            "range": tag.penalty_text,
        }
        return LadderDecision(WARNING, reason, deadline)
    basis = "；".join(quote(a) for a in basis_articles(cat, "case"))
    reason = _(
        "%(m)s个月内第%(n)s次违法（%(tag)s），此前已经普法教育和告诫，不再适用首违不罚；"
        "违反%(violated)s，依照%(penalty)s建议立案调查（%(range)s）。%(basis)s"
    ) % {
        "m": months,
        "n": prior_count + 1,
        "tag": tag.name,
        "violated": violated,
        "penalty": penalty,
        "range": tag.penalty_text,
        "basis": basis,
    }
    return LadderDecision(PROPOSE_CASE, reason, deadline)
