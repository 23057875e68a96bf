# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' results, built from the engine's LinkWork by the one describe function
(_common/link_result.py): the returned `link`/`links` and the diff's before/after (pure)."""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.link_result import link_result
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.plan import LinkWork
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.run import RunResult


def one_link_result(run: RunResult, netns: str | None, diff: bool) -> dict:
    """macvlan_link's and macvlan_netns' result: the run's only link (none: nothing to do)."""
    item = run.work[0] if run.work else None
    result = {
        "changed": run.changed,
        "link": link_result(item.after, netns) if item else {},
        "recreated": bool(item and item.plan.recreated),
        "recreate_reasons": list(item.plan.recreate_reasons) if item else [],
    }
    if 0 in run.dhcp:
        result["dhcp"] = run.dhcp[0].result()
    if diff:
        result["diff"] = {"before": link_result(item.before, netns) if item else {}, "after": result["link"]}
    return result


def _entry(item: LinkWork) -> dict:
    return {
        "name": item.desired.name,
        "netns": item.desired.netns,
        "action": item.action,
        "recreate_reasons": item.plan.recreate_reasons,
        "link": link_result(item.after, item.desired.netns),
    }


def _diff(item: LinkWork, entry: dict) -> dict:
    header = f"{item.desired.name} in {item.desired.where}"
    return {"before_header": header, "after_header": header, "before": link_result(item.before, item.desired.netns), "after": entry["link"]}


def many_links_result(run: RunResult, diff: bool) -> dict:
    """macvlan_links' result: one entry per link of the run, in the run's order."""
    links = [_entry(item) for item in run.work]
    for index, outcome in run.dhcp.items():
        links[index]["dhcp"] = outcome.result()
    result = {"changed": run.changed, "links": links}
    if diff:
        devices = run.devices or [False] * len(run.work)
        result["diff"] = [_diff(item, entry) for item, entry, changed in zip(run.work, links, devices) if item.plan.changed or changed]
    return result
