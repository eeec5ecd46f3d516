"""Example contexts for every document type: used by the demo, the benchmark and tests,
and a model for other apps building contexts (see data/documents/*.yaml for the fields).

The quoted articles come from 《中华人民共和国大气污染防治法》 (2018-10-26 amendment) and
《中华人民共和国行政处罚法》 (2021-01-22 revision); real callers take them from the laws app.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ART_81 = {
    "citation": "《中华人民共和国大气污染防治法》第八十一条第三款",
    "text": "任何单位和个人不得在当地人民政府禁止的区域内露天烧烤食品或者为露天烧烤食品提供场地。",
}
ART_118 = {
    "citation": "《中华人民共和国大气污染防治法》第一百一十八条第三款",
    "text": (
        "违反本法规定，在当地人民政府禁止的时段和区域内露天烧烤食品或者为露天烧烤食品提供场地的，"
        "由县级以上地方人民政府确定的监督管理部门责令改正，没收烧烤工具和违法所得，"
        "并处五百元以上二万元以下的罚款。"
    ),
}
ART_28 = {
    "citation": "《中华人民共和国行政处罚法》第二十八条第一款",
    "text": "行政机关实施行政处罚时，应当责令当事人改正或者限期改正违法行为。",
}
EVIDENCE = [
    {"name": "现场照片（露天烧烤）", "sha256": "3" * 64},
    {"name": "执法记录仪视频", "sha256": "a" * 64},
]
PARTY = {
    "party_name": "王大明（老王烧烤店经营者）",
    "party_id": "92341602MA2TE8K028",
    "party_address": "亳州市谯城区北关街道人民路18号",
}
REMEDIES = {"review_body": "亳州市人民政府", "court": "亳州市谯城区人民法院"}


def sample_context(doc_type: str) -> dict[str, Any]:
    facts = "2026年6月12日21时许，当事人在人民路18号门前禁止区域内露天烧烤食品。"
    contexts: dict[str, dict[str, Any]] = {
        "penalty_decision": {
            **PARTY,
            **REMEDIES,
            "case_number": "QC-2026-0001",
            "facts": facts,
            "evidence": EVIDENCE,
            "articles_violated": [ART_81],
            "articles_penalty": [ART_118],
            "penalty": "1. 罚款人民币伍佰元整；2. 没收烧烤工具一套。",
            "fine_amount": Decimal("500.00"),
            "execution": "自收到本决定书之日起十五日内缴纳罚款；烧烤工具已当场没收。",
            "payment_place": "中国工商银行亳州分行各网点，或通过“皖事通”电子缴款",
            "payment_deadline": "收到本决定书之日起十五日内",
        },
        "onspot_decision": {
            **PARTY,
            **REMEDIES,
            "occurred_at": "2026年6月12日21时10分",
            "place": "亳州市谯城区人民路18号门前",
            "facts": facts,
            "evidence": EVIDENCE[:1],
            "articles_violated": [ART_81],
            "articles_penalty": [ART_118],
            "penalty": "罚款",
            "fine_amount": Decimal("200.00"),
            "payment_place": "中国工商银行亳州分行各网点，或电子缴款",
            "payment_deadline": "收到本决定书之日起十五日内",
        },
        "prior_notice": {
            **PARTY,
            "case_number": "QC-2026-0001",
            "facts": facts,
            "evidence": EVIDENCE,
            "articles_violated": [ART_81],
            "articles_penalty": [ART_118],
            "proposed_penalty": "拟罚款人民币伍佰元整，没收烧烤工具一套。",
            "contact": "张明 0558-12319",
            "contact_address": "亳州市谯城区城市管理局北关中队",
        },
        "correction_notice": {
            **PARTY,
            "facts": facts,
            "evidence": EVIDENCE[:1],
            "articles_violated": [ART_81],
            "articles_basis": [ART_28, ART_118],
            "correction": "立即停止露天烧烤，清理现场。",
            "deadline": "2026年6月13日18时前",
            "consequence": "逾期不改正的，本机关将依法立案查处。",
        },
        "filing_approval": {
            **PARTY,
            "case_number": "QC-2026-0001",
            "case_source": "执法巡查发现",
            "cause": "在禁止区域露天烧烤食品",
            "facts": facts,
            "evidence": EVIDENCE,
            "articles_violated": [ART_81],
            "handler_opinion": "当事人涉嫌违法，建议立案调查。",
            "chief_opinion": "同意立案。",
        },
        "closing_approval": {
            "case_number": "QC-2026-0001",
            "cause": "在禁止区域露天烧烤食品",
            "party_name": PARTY["party_name"],
            "decision_number": "亳城管罚决字〔2026〕第000001号",
            "penalty_result": "罚款伍佰元，没收烧烤工具一套。",
            "execution_result": "当事人已于2026年6月20日缴清罚款。",
            "closing_reason": "行政处罚决定已执行完毕。",
            "handler_opinion": "建议结案。",
            "chief_opinion": "同意结案。",
        },
        "service_receipt": {
            "served_document": "行政处罚决定书 亳城管罚决字〔2026〕第000001号",
            "recipient": PARTY["party_name"],
            "service_place": PARTY["party_address"],
            "service_method": "直接送达",
            "served_at": "2026年6月15日10时00分",
            "receiver_note": "受送达人当场签收",
        },
        "service_address_confirmation": {
            "party_name": PARTY["party_name"],
            "party_id": PARTY["party_id"],
            "postal_address": PARTY["party_address"],
            "phone": "13905581234",
            "email": "laowang@example.com",
            "channels": ["短信", "电子邮件", "商户门户"],
            "confirmed_at": "2026年6月12日21时30分",
        },
    }
    return dict(contexts[doc_type])
