"""``purge(now)``: delete the users a deactivate-then-delete policy has kept past retention."""

from __future__ import annotations

import datetime as dt

from scimcore.filter import parse_filter
from scimcore.policy._policy import ProvisioningPolicy
from scimcore.store import Query, Store

_PAGE = 500


def purge(
    store: Store, policy: ProvisioningPolicy, now: dt.datetime, *, resource_type: str = "User"
) -> list[str]:
    """Delete every inactive user past the retention period; return the deleted ids.

    The host calls this on its own schedule (a cron job, a timer); nothing happens unless the
    policy is ``deactivate_then_delete``. Deleted users also leave every group.
    """
    if policy.deprovisioning.mode != "deactivate_then_delete":
        return []
    inactive = parse_filter("active eq false")
    due: list[str] = []
    with store.transaction(readonly=True) as tx:
        start = 1
        while True:
            page = tx.search(resource_type, Query(filter=inactive, start_index=start, count=_PAGE))
            due.extend(policy.purge_ids(page.resources, now))
            start += len(page.resources)
            if not page.resources or start > page.total:
                break
    stamp = now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    deleted: list[str] = []
    for rid in due:
        with store.transaction() as tx:
            current = tx.get(resource_type, rid)
            if current is None or not policy.due_for_purge(current.resource, now):
                continue  # reactivated or gone since the scan
            tx.delete(resource_type, rid, expected_version=current.version)
            tx.remove_member(rid, last_modified=stamp)
        deleted.append(rid)
    return deleted
