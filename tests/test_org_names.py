"""One organisation entered twice under names written differently is found; different
organisations with similar names are not (issue 15, item 2)."""

from __future__ import annotations

import pytest

from bot.rules.org_names import duplicates, name_key, place_prefixes

PREFECTURE = ["云南省", "楚雄彝族自治州", "楚雄州", "楚雄"]


def key(name: str, county: str) -> str:
    return name_key(name, place_prefixes(county, PREFECTURE))


SAME = "楚雄云岭新材料科技有限公司"


@pytest.mark.parametrize(
    ("written", "county"),
    [
        (SAME, "楚雄市"),
        ("楚雄云岭新材料科技有限责任公司", "楚雄市"),
        ("楚雄 云岭新材料 科技有限公司", "楚雄市"),
        ("楚雄\u3000云岭新材料科技有限公司", "楚雄市"),  # a full-width space
        ("云岭新材料科技有限公司", "楚雄市"),  # without the county
        ("楚雄市云岭新材料科技有限公司", "楚雄市"),
        ("楚雄州楚雄市云岭新材料科技有限公司", "楚雄市"),  # stacked prefixes
        ("云南省楚雄彝族自治州云岭新材料科技有限公司", "楚雄市"),
        ("楚雄云岭新材料科技有限公司。", "楚雄市"),
    ],
)
def test_one_organisation_written_differently_has_one_key(written: str, county: str) -> None:
    assert key(written, county) == key(SAME, "楚雄市")


@pytest.mark.parametrize(
    ("first", "second", "county"),
    [
        ("ＡＢＣ物流有限公司", "abc物流有限公司", "禄丰市"),  # full-width letters, case
        ("禄丰１号酒店", "禄丰1号酒店", "禄丰市"),
        ("禄丰（中国）食品有限公司", "禄丰(中国)食品有限公司", "禄丰市"),
        ("禄丰市恐龙谷旅游公司", "恐龙谷旅游公司", "禄丰市"),
    ],
)
def test_variants_that_match(first: str, second: str, county: str) -> None:
    assert key(first, county) == key(second, county)


@pytest.mark.parametrize(
    ("first", "second", "county"),
    [
        ("云岭新材料科技有限公司", "云岭新材料科技有限公司禄丰分公司", "禄丰市"),
        ("紫溪食品一厂", "紫溪食品二厂", "楚雄市"),
        ("云岭建材股份有限公司", "云岭建材有限公司", "楚雄市"),
        ("禄丰云岭物流有限公司", "云岭物流有限公司", "楚雄市"),  # another county's prefix stays
        ("楚雄", "楚雄市", "楚雄市"),  # nothing left to compare: the prefix is the name
    ],
)
def test_different_organisations_keep_different_keys(first: str, second: str, county: str) -> None:
    assert key(first, county) != key(second, county)


def test_duplicates_are_within_one_county() -> None:
    records = [
        (1, "楚雄市", "云岭"),
        (2, "禄丰市", "云岭"),  # the same name elsewhere: another organisation
        (3, "楚雄市", "云岭"),
        (4, "楚雄市", "紫溪"),
        (5, "楚雄市", "云岭"),
    ]
    assert duplicates(records) == {1: [3, 5], 3: [1, 5], 5: [1, 3]}
