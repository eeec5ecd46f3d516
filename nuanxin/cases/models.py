"""Administrative penalty cases (行政处罚案件) and their actions, payments and documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nuanxin.cases import clocks


class CaseStatus(models.TextChoices):
    FILED = "filed", _("立案")
    INVESTIGATING = "investigating", _("调查取证")
    LEGAL_REVIEW = "legal_review", _("法制审核")
    CHIEF_APPROVAL = "chief_approval", _("负责人审批")
    NOTIFIED = "notified", _("事先告知")
    HEARING = "hearing", _("听证")
    DECIDED = "decided", _("决定")
    SERVED = "served", _("送达")
    EXECUTING = "executing", _("执行")
    CLOSED = "closed", _("结案")
    WITHDRAWN = "withdrawn", _("撤销立案")
    NO_PENALTY = "no_penalty", _("不予处罚")


S = CaseStatus

# The transition table: from each status, the statuses a case may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.FILED: frozenset({S.INVESTIGATING, S.WITHDRAWN}),
    S.INVESTIGATING: frozenset({S.LEGAL_REVIEW, S.WITHDRAWN, S.NO_PENALTY}),
    S.LEGAL_REVIEW: frozenset({S.CHIEF_APPROVAL, S.INVESTIGATING}),
    S.CHIEF_APPROVAL: frozenset({S.NOTIFIED, S.INVESTIGATING, S.NO_PENALTY}),
    S.NOTIFIED: frozenset({S.HEARING, S.DECIDED, S.NO_PENALTY}),
    S.HEARING: frozenset({S.DECIDED, S.NO_PENALTY}),
    S.DECIDED: frozenset({S.SERVED}),
    S.SERVED: frozenset({S.EXECUTING, S.CLOSED}),
    S.EXECUTING: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.NO_PENALTY: frozenset({S.CLOSED}),
}
OPEN_STATUSES = frozenset(set(S.values) - {S.CLOSED, S.WITHDRAWN})
PRE_DECISION = frozenset(
    {S.FILED, S.INVESTIGATING, S.LEGAL_REVIEW, S.CHIEF_APPROVAL, S.NOTIFIED, S.HEARING}
)


@dataclass(frozen=True)
class TransitionCheck:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


class Case(models.Model):
    class Procedure(models.TextChoices):
        ORDINARY = "ordinary", _("普通程序")
        SIMPLE = "simple", _("简易程序（当场处罚）")

    class PartyKind(models.TextChoices):
        PERSON = "person", _("公民")
        ORGANISATION = "organisation", _("法人或其他组织")

    class Level(models.TextChoices):
        NONE = "none", _("不予处罚")
        LIGHTER = "lighter", _("从轻")
        GENERAL = "general", _("一般")
        HEAVIER = "heavier", _("从重")

    number = models.CharField(_("案件编号"), max_length=40, unique=True)
    bureau = models.ForeignKey("orgs.Bureau", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="cases")
    procedure = models.CharField(
        _("程序"), max_length=10, choices=Procedure.choices, default=Procedure.ORDINARY
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CaseStatus.choices, default=S.FILED, db_index=True
    )
    # The party as identified at filing (Art. 59 names the party on the decision).
    party = models.ForeignKey(
        "violations.Party", null=True, on_delete=models.PROTECT, related_name="cases"
    )
    party_kind = models.CharField(_("当事人类型"), max_length=14, choices=PartyKind.choices)
    party_name = models.CharField(_("当事人"), max_length=120, db_index=True)
    party_id_number = models.CharField(_("证件号/统一社会信用代码"), max_length=32, blank=True)
    party_address = models.CharField(_("当事人地址"), max_length=200, blank=True)
    party_phone = models.CharField(_("当事人电话"), max_length=20, blank=True)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    operator = models.ForeignKey(
        "bikes.Operator", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    violation_ref = models.PositiveBigIntegerField(_("违法行为记录ID"), null=True, blank=True)
    # What happened and the law applied.
    tag_code = models.CharField(_("行为标识"), max_length=40, db_index=True)
    tag_name = models.CharField(_("违法行为"), max_length=80)
    articles_violated = models.JSONField(_("违反的法律规定"), default=list)
    articles_penalty = models.JSONField(_("处罚依据"), default=list)
    facts = models.TextField(_("违法事实"))
    place = models.CharField(_("地点"), max_length=200)
    occurred_at = models.DateTimeField(_("违法时间"))
    # Discretion: what the 裁量基准 proposed, and what was decided.
    catalogue_version = models.CharField(_("裁量基准版本"), max_length=40, blank=True)
    proposed_level = models.CharField(
        _("建议裁量等级"), max_length=8, choices=Level.choices, blank=True
    )
    proposed_amount = models.DecimalField(
        _("建议罚款"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    proposed_min = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    proposed_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    proposal_reasons = models.JSONField(_("裁量理由"), default=list)
    level = models.CharField(_("裁量等级"), max_length=8, choices=Level.choices, blank=True)
    fine_amount = models.DecimalField(
        _("罚款金额"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    warning_only = models.BooleanField(_("仅警告"), default=False)
    departure_reason = models.TextField(_("偏离裁量基准的理由"), blank=True)
    departure_flagged = models.BooleanField(_("偏离裁量基准，提请审核"), default=False)
    # People: two qualified officers (Art. 42), the reviewer and the approving chief.
    lead_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_led"
    )
    second_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_seconded"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_opinion = models.TextField(_("审核意见"), blank=True)
    chief = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filing_approved_at = models.DateTimeField(null=True, blank=True)
    penalty_approved_at = models.DateTimeField(null=True, blank=True)
    approved_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Clocks.
    filed_on = models.DateField(_("立案日期"))
    decision_due = models.DateField(_("决定期限 (第六十条)"))
    deadline_warned = models.CharField(max_length=8, blank=True, default="")
    notice_served_on = models.DateField(_("告知书送达日"), null=True, blank=True)
    statement_due = models.DateField(_("陈述申辩/听证申请期限"), null=True, blank=True)
    statement_waived = models.BooleanField(default=False)
    hearing_requested = models.BooleanField(default=False)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    served_on = models.DateField(_("决定书送达日"), null=True, blank=True)
    payment_due = models.DateField(_("缴款期限"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("催告时间"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    outcome_note = models.TextField(_("结论说明"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("执法案件")
        verbose_name_plural = _("执法案件")
        ordering = ["-filed_on", "-pk"]
        indexes = [models.Index(fields=["district", "status"])]
        constraints = [
            models.CheckConstraint(
                name="case_two_distinct_officers",
                condition=~models.Q(lead_officer=models.F("second_officer")),
            ),
            models.CheckConstraint(
                name="case_fine_not_negative", condition=models.Q(fine_amount__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.party_name}"

    # --- rules about this one row -------------------------------------------------
    def can_transition_to(self, status: str, *, today: dt.date | None = None) -> TransitionCheck:
        """Whether the case may move to `status` now, and if not, why (translated)."""
        if status not in S.values:
            return TransitionCheck(False, gettext("未知的案件状态：%s") % status)
        if status not in TRANSITIONS[self.status]:
            return TransitionCheck(
                False,
                gettext("案件处于“%(now)s”阶段，不能转为“%(to)s”。")
                % {"now": S(self.status).label, "to": S(status).label},
            )
        today = today or timezone.localdate()
        if status == S.INVESTIGATING and self.status == S.FILED and not self.filing_approved_at:
            return TransitionCheck(False, gettext("立案尚未经负责人批准。"))
        if status == S.NOTIFIED and not self.penalty_approved_at:
            return TransitionCheck(False, gettext("处罚意见尚未经负责人批准，不能事先告知。"))
        if status == S.DECIDED and self.status == S.NOTIFIED:
            if self.statement_due is None:
                return TransitionCheck(False, gettext("事先告知书尚未送达。"))
            if not self.statement_waived and today <= self.statement_due:
                return TransitionCheck(
                    False,
                    gettext("陈述、申辩和听证申请期限至%(due)s届满，期满前不得作出决定。")
                    % {"due": self.statement_due.isoformat()},
                )
        if status == S.CLOSED and self.status in (S.SERVED, S.EXECUTING):
            outstanding = self.amount_outstanding(today)
            if outstanding > 0:
                return TransitionCheck(
                    False,
                    gettext("罚款及加处罚款尚欠%(amount)s元，不能结案。") % {"amount": outstanding},
                )
        return TransitionCheck(True)

    def officers(self) -> list[int]:
        return [self.lead_officer_id, self.second_officer_id]

    def surcharge_as_of(self, day: dt.date) -> Decimal:
        if self.served_on is None or self.warning_only:
            return Decimal("0.00")
        last_payment = self.full_payment_date()
        as_of = min(day, last_payment) if last_payment else day
        return clocks.late_surcharge(self.fine_amount, self.served_on, as_of)

    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.payments.all()), Decimal("0.00"))

    def full_payment_date(self) -> dt.date | None:
        """The day on which payments first covered the fine (surcharge stops accruing)."""
        running = Decimal("0.00")
        for payment in sorted(self.payments.all(), key=lambda p: (p.paid_on, p.pk)):
            running += payment.amount
            if running >= self.fine_amount:
                return payment.paid_on
        return None

    def amount_outstanding(self, day: dt.date) -> Decimal:
        if self.warning_only:
            return Decimal("0.00")
        owed = self.fine_amount + self.surcharge_as_of(day)
        return max(Decimal("0.00"), owed - self.paid_total())

    def decision_clock(self, today: dt.date | None = None) -> clocks.DeadlineState:
        return clocks.deadline_state(self.decision_due, today or timezone.localdate())


class CaseAction(models.Model):
    """One step in the case's history (NoiseWorks' Action): who did what, when, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=32, db_index=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


class CaseDocument(models.Model):
    """A document issued for the case through the documents app (kept by id and number)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(max_length=40)
    document_id = models.PositiveBigIntegerField()
    number = models.CharField(max_length=60, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issued_at", "pk"]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.number}"


class CasePayment(models.Model):
    class Channel(models.TextChoices):
        BANK = "bank", _("银行缴款")
        ONLINE = "online", _("电子支付")
        ONSPOT = "onspot", _("当场收缴")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    receipt_no = models.CharField(max_length=60)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(name="case_payment_positive", condition=models.Q(amount__gt=0)),
            models.UniqueConstraint(fields=["case", "receipt_no"], name="case_payment_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ¥{self.amount}"


class CaseSequence(models.Model):
    """Per bureau and year counter for case numbers, claimed under a row lock (no gaps)."""

    bureau = models.ForeignKey("orgs.Bureau", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year"], name="case_sequence_bureau_year")
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}/{self.year}: {self.last}"
