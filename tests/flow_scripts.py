"""One complete conversation per step flow and questionnaire, written so the same lines work
typed into the console and sent to Telegram (choices by their label, several as "A、B")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

# Dates the flows accept must not lie in the past, whenever the tests run.
SOON = (date.today() + timedelta(days=40)).isoformat()
LATER = (date.today() + timedelta(days=120)).isoformat()


@dataclass(frozen=True)
class Script:
    flow: str
    command: str  # what opens the list the flow is picked from
    button: str  # the label of the button that starts it
    answers: list[str]
    card: list[str] = field(default_factory=list)  # what the final reply must show


ORGANIZE = Script(
    "organize",
    "/menu",
    "2. 抓组建",
    [
        # Not in the ledger yet: registered first (抓摸底), then planned for.
        "现场登记一家新组织（先填摸底台账）",
        "楚雄某某食品有限公司",
        "非公企业",
        "楚雄市",
        "不在园区",
        "正常经营（运行）",
        "80",
        "2",
        "1",
        "张三",
        "否",
        "否",
        "正式党员不足3名",
        "/skip",
        "楚雄某某食品有限公司",  # its option is "#N 楚雄某某食品有限公司"
        "片区联建",
        "/skip",
        "动员党员亮明身份，转入组织关系，联系园区内企业联建",
        "张三 党建指导员",
        "转入2名党员组织关系",
        SOON,
        "成立联合党支部",
        LATER,
        "/skip",
    ],
    [
        "【一企一策 #1】楚雄某某食品有限公司",
        "组建方式：联合党组织",
        "联建方式：片区联建",
        "✅ 职工50人以上的非公企业要有党员",
        f"{SOON} 转入2名党员组织关系",
        f"{LATER} 成立联合党支部",
        "责任人：张三 党建指导员",
    ],
)

STANDARDIZE = Script(
    "standardize",
    "/menu",
    "3. 抓规范",
    [
        "楚雄某某科技有限公司党支部",
        "第一年：典型引领作示范",
        *["有"] * 6,
        "有",
        "部分",
        *["有"] * 5,
        *["无"] * 3,
        *["部分"] * 5,
    ],
    [
        "【规范化自查·第1次】楚雄某某科技有限公司党支部",
        "活动阵地“六有”：100%",
        "支部主题党日：75%",
        "党务台账资料盒：63%",
        "五个方面规范化：50%",
        "□ 上级来文资料盒（无）",
        "这是本支部的第一次自查",
    ],
)

ACTIVITY = Script(
    "activity",
    "/menu",
    "4. 抓活动",
    [
        "楚雄某某科技有限公司党支部",
        SOON,
        "09:30",
        "是",  # this day of the month becomes the branch's fixed theme day
        "组织党员去丽江旅游",
        "党课、党费收缴",
        "/skip",
        "线下集中",
        "党员活动室",
        "修改主题",
        "学习党章 重温入党誓词",
        "保存计划",
    ],
    [
        "【主题党日计划 #1】楚雄某某科技有限公司党支部",
        f"时间：{SOON} 09:30",
        "主题：学习党章 重温入党誓词",
        "内容：党费收缴、党课",
        "✅ 突出“党味”",
        "✅ 突出“策划”",
        f"已将“每月{int(SOON[8:])}日 09:30”设为本支部固定主题党日",
    ],
)

INNOVATE = Script(
    "innovate",
    "/menu",
    "5. 抓创新",
    [
        "楚雄某某科技有限公司党支部",
        "质量党建、标准党建",
        "党员先锋岗带头攻克生产线技术难题",
        "党员技术攻关",
        "3",
        SOON,
        "把支部全年工作列成任务清单",
        "编制年度任务清单",
        "1",
        LATER,
    ],
    [
        "【创新清单 #1】楚雄某某科技有限公司党支部",
        f"1. 质量党建：党员技术攻关，目标 3，{SOON} 前完成",
        f"2. 标准党建：编制年度任务清单，目标 1，{LATER} 前完成",
    ],
)

BRAND = Script(
    "brand",
    "/menu",
    "6. 抓品牌",
    [
        "楚雄某某科技有限公司党支部",
        "彝乡红",
        "党建红引领产业绿",
        "地域特色",
        "彝族刺绣文化",
        "党员联系户",
        "成效明显",
        "党员联系户制度可以照搬到其他支部去做",
        "县级表彰或推广、媒体报道",
        "把彝族刺绣技能培训和党员联系户结合起来",
        "带动30户增收，户均增收2000元",
    ],
    [
        "【党建品牌案例 #1】彝乡红——楚雄某某科技有限公司党支部",
        "补充（先进性）：带动30户增收",
        "✅ 创新性",
        "✅ 先进性",
        "✅ 推广性",
        "✅ 影响力",
    ],
)

SELFCHECK = Script(
    "selfcheck_basic",
    "/selfcheck",
    "五个基本方面快速自查",
    ["1", "2", "3", "1", "2", "3", "1", "2", "3", "1"],
    ["总分", "最值得改进的三件事", "这是您第一次做这份自查"],
)

SCRIPTS = [ORGANIZE, STANDARDIZE, ACTIVITY, INNOVATE, BRAND, SELFCHECK]

# The ledger survey of one enterprise, answer by answer (shared by the console and Telegram tests).
ENTERPRISE_ANSWERS = [
    "楚雄某某科技有限公司",  # name
    "非公企业",  # kind
    "楚雄市",  # county
    "不在园区",  # park
    "正常经营（运行）",  # operating status
    "120",  # employees
    "2",  # formal members
    "1",  # probationary members
    "张三",  # leader
    "否",  # leader is a member
    "否",  # has a party organisation
    "正式党员不足3名",  # reason
    "/skip",  # note
]
