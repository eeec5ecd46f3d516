"""The law↔behaviour library (法条与行为匹配库).

Everything here is loaded from versioned data files under data/law/ by
`nuanxin.laws.loader.catalogue_load`; nothing is hard-coded. A new catalogue version
adds new rows and never mutates an old version's rows, so a decision that recorded
the version it used can always be re-read as it was.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogueVersion(models.Model):
    version = models.CharField(_("版本号"), max_length=40, unique=True)
    effective_date = models.DateField(_("生效日期"))
    sha256 = models.CharField(_("源文件SHA-256"), max_length=64)
    source_name = models.CharField(_("源文件"), max_length=200, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    ladder = models.JSONField(
        _("首违普法、二次告诫的法律依据"),
        default=dict,
        blank=True,
        help_text=_("education_basis / warning_basis / case_basis：条文代码列表"),
    )
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("匹配库版本")
        verbose_name_plural = _("匹配库版本")
        ordering = ["-effective_date", "-loaded_at"]

    def __str__(self) -> str:
        return f"{self.version} ({self.effective_date})"


class Scope(models.TextChoices):
    NATIONAL = "national", _("国家")
    LOCAL = "local", _("地方")


class Law(models.Model):
    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="laws")
    key = models.SlugField(_("代码"), max_length=60)
    title = models.CharField(_("名称"), max_length=200)
    issuer = models.CharField(_("制定机关"), max_length=100, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    version_date = models.DateField(_("版本日期"), null=True, blank=True)
    effective_date = models.DateField(_("施行日期"), null=True, blank=True)
    lapse_date = models.DateField(_("失效日期"), null=True, blank=True)
    scope = models.CharField(_("效力范围"), max_length=10, choices=Scope.choices)
    source = models.CharField(_("文本来源"), max_length=300, blank=True)
    needs_verification = models.BooleanField(_("待与国家法律法规数据库核对"), default=True)

    class Meta:
        verbose_name = _("法律法规")
        verbose_name_plural = _("法律法规")
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "key"], name="law_key_per_catalogue")
        ]

    def __str__(self) -> str:
        return self.title


class Article(models.Model):
    catalogue = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="articles"
    )
    key = models.SlugField(_("代码"), max_length=80)
    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="articles")
    article_no = models.PositiveIntegerField(_("条"))
    paragraph_no = models.PositiveIntegerField(_("款"), null=True, blank=True)
    item_no = models.PositiveIntegerField(_("项"), null=True, blank=True)
    text = models.TextField(_("条文"), blank=True)
    summary = models.TextField(_("要旨（非原文）"), blank=True)
    text_complete = models.BooleanField(
        _("条文完整"),
        default=False,
        help_text=_("否表示仅收录了部分原文，须与国家法律法规数据库核对补全"),
    )
    scope = models.CharField(_("效力范围"), max_length=10, choices=Scope.choices)
    effective_date = models.DateField(_("生效日期"), null=True, blank=True)
    lapse_date = models.DateField(_("失效日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("法条")
        verbose_name_plural = _("法条")
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "key"], name="article_key_per_catalogue")
        ]
        ordering = ["law_id", "article_no", "paragraph_no", "item_no"]

    def __str__(self) -> str:
        return f"《{self.law.title}》{self.citation}"

    @property
    def citation(self) -> str:
        from nuanxin.laws.numerals import cn_number

        out = f"第{cn_number(self.article_no)}条"
        if self.paragraph_no:
            out += f"第{cn_number(self.paragraph_no)}款"
        if self.item_no:
            out += f"第（{cn_number(self.item_no)}）项"
        return out

    @property
    def full_citation(self) -> str:
        return f"《{self.law.title}》{self.citation}"

    def in_force_on(self, day: date) -> bool:
        if self.effective_date and day < self.effective_date:
            return False
        return not (self.lapse_date and day >= self.lapse_date)


class Procedure(models.TextChoices):
    SIMPLE = "simple", _("简易程序")
    ORDINARY = "ordinary", _("普通程序")


class BehaviourTag(models.Model):
    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="tags")
    code = models.SlugField(_("代码"), max_length=60)
    name = models.CharField(_("行为标识"), max_length=60)
    synonyms = models.JSONField(_("同义词"), default=list, blank=True)
    pinyin_initials = models.CharField(_("拼音首字母"), max_length=200, blank=True)
    search_text = models.TextField(_("检索文本"), blank=True)
    category = models.CharField(_("类别"), max_length=40, blank=True)
    description = models.TextField(_("说明"), blank=True)
    violated_articles = models.ManyToManyField(
        Article, related_name="violated_by_tags", verbose_name=_("违反条款")
    )
    penalty_articles = models.ManyToManyField(
        Article, related_name="penalised_by_tags", verbose_name=_("处罚依据")
    )
    penalty_text = models.CharField(_("处罚种类及幅度（文字）"), max_length=300, blank=True)
    penalty_min = models.DecimalField(_("罚款下限（元）"), max_digits=12, decimal_places=2)
    penalty_max = models.DecimalField(_("罚款上限（元）"), max_digits=12, decimal_places=2)
    penalty_ranges = models.JSONField(
        _("按当事人类型的罚款幅度"),
        default=dict,
        blank=True,
        help_text=_('如 {"person": ["500", "2000"], "organisation": ["10000", "100000"]}'),
    )
    penalty_scope = models.CharField(
        _("罚款幅度来源"),
        max_length=10,
        choices=Scope.choices,
        help_text=_("地方表示仅由地方规定设定，可由本局替换"),
    )
    penalty_source = models.CharField(_("罚款幅度出处"), max_length=300, blank=True)
    leniency_allowed = models.BooleanField(_("适用首违不罚"), default=True)
    lookback_months = models.PositiveSmallIntegerField(_("回溯期（月）"), default=12)
    procedure = models.CharField(_("程序"), max_length=10, choices=Procedure.choices)
    required_documents = models.JSONField(_("所需文书"), default=list, blank=True)
    for_party_kinds = models.JSONField(_("适用当事人类型"), default=list, blank=True)
    remedy = models.CharField(_("整改要求"), max_length=300, blank=True)
    correction_days = models.PositiveSmallIntegerField(_("整改期限（日）"), default=3)

    class Meta:
        verbose_name = _("行为标识")
        verbose_name_plural = _("行为标识")
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="tag_code_per_catalogue")
        ]
        ordering = ["catalogue_id", "code"]

    def __str__(self) -> str:
        return self.name

    def range_for(self, party_kind: str) -> tuple[Decimal, Decimal]:
        """The statutory fine range for this kind of party (person / organisation)."""
        specific = (self.penalty_ranges or {}).get(party_kind)
        if specific:
            return Decimal(str(specific[0])), Decimal(str(specific[1]))
        return self.penalty_min, self.penalty_max


class DiscretionLevel(models.Model):
    class Level(models.TextChoices):
        NONE = "none", _("不予处罚")
        LIGHTER = "lighter", _("从轻")
        GENERAL = "general", _("一般")
        HEAVIER = "heavier", _("从重")

    tag = models.ForeignKey(BehaviourTag, on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(_("裁量等级"), max_length=10, choices=Level.choices)
    order = models.PositiveSmallIntegerField(_("匹配顺序"), default=0)
    conditions = models.JSONField(_("适用条件"), default=dict, blank=True)
    conditions_text = models.CharField(_("条件说明"), max_length=300, blank=True)
    amount = models.DecimalField(
        _("建议罚款（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_min = models.DecimalField(_("罚款下限（元）"), max_digits=12, decimal_places=2)
    amount_max = models.DecimalField(_("罚款上限（元）"), max_digits=12, decimal_places=2)
    local = models.BooleanField(_("地方裁量基准"), default=True)

    class Meta:
        verbose_name = _("裁量基准")
        verbose_name_plural = _("裁量基准")
        ordering = ["tag_id", "order"]

    def __str__(self) -> str:
        return f"{self.tag.name} · {self.get_level_display()}"
