"""Ledger records the tests register: one enterprise of each kind the checks care about."""

from __future__ import annotations

from typing import Any

# 120 employees, 2 formal and 1 probationary member, no party organisation yet.
ENTERPRISE: dict[str, Any] = {
    "name": "楚雄某某科技有限公司",
    "kind": "非公企业",
    "county": "楚雄市",
    "park": None,
    "operating_status": "正常经营（运行）",
    "employees": 120,
    "formal_members": 2,
    "probationary_members": 1,
    "leader_name": "张三",
    "leader_is_member": False,
    "has_party_org": False,
    "no_org_reason": "正式党员不足3名",
}
