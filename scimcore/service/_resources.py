"""Resource operations behind the endpoints: create, read, replace, patch, delete and list.

Each public method runs in one store transaction, so a failed request leaves nothing behind. The
version read at the start is the version every write expects, so concurrent writers never lose an
update (the store checks it inside the write).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from scimcore.errors import (
    ConfigurationError,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    ScimError,
    TooMany,
    Uniqueness,
)
from scimcore.filter import Filter
from scimcore.schema import ResourceType
from scimcore.service import _deps
from scimcore.service._config import ServiceConfig
from scimcore.service._crosstype import per_type
from scimcore.service._diff import changed_attributes
from scimcore.service._hooks import DeleteInstead, RequestContext, WriteAction, WriteEvent
from scimcore.service._http import etag_for, parse_etags
from scimcore.service._lenient import lenient_body
from scimcore.service._listing import ListParams, list_response
from scimcore.service._members import MemberPlan, MemberStep, plan_member_patch
from scimcore.store import MemberDelta, MemberDeltas, Query, Store, Stored, Transaction

AuditWriter = Callable[[Transaction, RequestContext, "Trace", int], None]
"""Records one write inside its transaction: (transaction, context, trace, status)."""


def timestamp(moment: datetime) -> str:
    """Render a time as RFC 3339 UTC with milliseconds (``2026-11-24T18:00:00.000Z``)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@attrs.define(slots=True)
class Trace:
    """What one operation did, for the audit record (filled in as the operation goes)."""

    action: str = "unknown"
    resource_type: str | None = None
    resource_id: str | None = None
    user_name: str | None = None
    changes: dict[str, dict[str, Any]] | None = None
    status: int | None = None
    audited: bool = False


@attrs.frozen(slots=True)
class Outcome:
    """The result of a resource operation: status, body, ETag and Location."""

    status: int
    body: dict[str, Any] | None = None
    etag: str | None = None
    location: str | None = None


def _wants(name: str, attributes: Sequence[str] | None, excluded: Sequence[str] | None) -> bool:
    """Whether a projection could return attribute ``name`` (a cheap, conservative test)."""

    def hits(items: Sequence[str]) -> bool:
        low = name.lower()
        return any(i.lower().rsplit(":", 1)[-1].split(".", 1)[0] == low for i in items)

    if attributes:
        return hits(attributes)
    return not (excluded and hits(excluded))


class ResourceEngine:
    """The store-backed operations for every resource type a registry serves."""

    def __init__(
        self,
        store: Store,
        config: ServiceConfig,
        clock: Callable[[], datetime],
        id_factory: Callable[[], str],
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.id_factory = id_factory
        self.audit_writer: AuditWriter | None = None
        """Called with every write's open transaction just before it commits; it may record
        the write there (and set ``trace.audited``), and raising fails the write."""
        registry = config.registry
        self._user_rt = registry.resource_type("User")
        self._group_rt = registry.resource_type("Group")
        self._users_have_groups = (
            self._user_rt is not None
            and self._group_rt is not None
            and registry.resolve("groups", self._user_rt) is not None
        )

    # -- rendering ------------------------------------------------------------------------------

    def location(self, rt: ResourceType, rid: str) -> str:
        """The absolute URL of a resource."""
        return f"{self.config.base_url}{rt.endpoint}/{rid}"

    def _with_meta(self, rt: ResourceType, stored: Stored) -> dict[str, Any]:
        out = dict(stored.resource)
        meta = dict(out.get("meta") or {})
        meta["resourceType"] = rt.name
        meta["location"] = self.location(rt, str(out["id"]))
        meta["version"] = etag_for(stored.version)
        out["meta"] = meta
        return out

    def render(
        self,
        tx: Transaction,
        rt: ResourceType,
        items: Sequence[Stored],
        attributes: Sequence[str] | None = None,
        excluded: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Full SCIM JSON for stored resources: meta filled in, User.groups computed, projected."""
        full = [self._with_meta(rt, s) for s in items]
        if (
            rt is self._user_rt
            and self._users_have_groups
            and full
            and _wants("groups", attributes, excluded)
        ):
            groups = self._groups_of(tx, [str(r["id"]) for r in full])
            for res in full:
                found = groups.get(str(res["id"]))
                if found:
                    res["groups"] = found
                else:
                    res.pop("groups", None)
        return [
            _deps.project(
                r,
                resource_type=rt.name,
                registry=self.config.registry,
                attributes=attributes,
                excluded_attributes=excluded,
            )
            for r in full
        ]

    def _groups_of(
        self, tx: Transaction, user_ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """The groups each user is a direct member of, from the groups' ``members``."""
        assert self._group_rt is not None
        out: dict[str, list[dict[str, Any]]] = {}
        for uid, groups in tx.groups_with_members(user_ids).items():
            for group in groups:
                gid = group.id
                entry: dict[str, Any] = {
                    "value": gid,
                    "$ref": self.location(self._group_rt, gid),
                    "type": "direct",
                }
                display = group.resource.get("displayName")
                if isinstance(display, str):
                    entry["display"] = display
                out.setdefault(uid, []).append(entry)
        return out

    # -- reads ----------------------------------------------------------------------------------

    def _load(
        self, tx: Transaction, rt: ResourceType, rid: str, *, for_update: bool = False
    ) -> Stored:
        stored = tx.get(rt.name, rid, for_update=for_update)
        if stored is None:
            raise NotFound(f"no {rt.name} with id {rid!r}")
        return stored

    def read(
        self,
        rt: ResourceType,
        rid: str,
        trace: Trace,
        *,
        attributes: Sequence[str] | None = None,
        excluded: Sequence[str] | None = None,
        if_none_match: str | None = None,
    ) -> Outcome:
        """GET one resource (304 when If-None-Match names its current version)."""
        trace.action, trace.resource_type, trace.resource_id = "read", rt.name, rid
        slim = rt is self._group_rt and not _wants("members", attributes, excluded)
        with self.store.transaction(readonly=True) as tx:
            stored = tx.get(rt.name, rid, exclude_members=slim)
            if stored is None:
                raise NotFound(f"no {rt.name} with id {rid!r}")
            etag = etag_for(stored.version)
            trace.user_name = _user_name(stored.resource)
            if if_none_match is not None:
                tags, star = parse_etags(if_none_match)
                if star or str(stored.version) in tags:
                    return Outcome(status=304, etag=etag)
            body = self.render(tx, rt, [stored], attributes, excluded)[0]
        return Outcome(status=200, body=body, etag=etag, location=self.location(rt, rid))

    def list(self, rt: ResourceType, params: ListParams, trace: Trace) -> dict[str, Any]:
        """A page of one resource type's matches, as a ListResponse body."""
        trace.action, trace.resource_type = "list", rt.name
        if params.sort_by and self.config.registry.resolve(params.sort_by, rt) is None:
            raise InvalidValue(f"sortBy {params.sort_by!r} names no attribute of {rt.name}")
        flt = (
            _deps.parse_filter(params.filter, registry=self.config.registry)
            if params.filter
            else None
        )
        exclude_members = not _wants("members", params.attributes, params.excluded_attributes)
        query = Query(
            filter=flt,
            sort_by=params.sort_by,
            sort_order=_order(params.sort_order),
            start_index=params.start_index,
            count=params.count,
            cursor=params.cursor,
            exclude_members=exclude_members and rt is self._group_rt,
        )
        with self.store.transaction(readonly=True) as tx:
            page = tx.search(rt.name, query)
            resources = self.render(
                tx, rt, _as_stored(page.resources), params.attributes, params.excluded_attributes
            )
        return list_response(
            resources,
            total=page.total,
            start_index=None if params.cursor_paging else params.start_index,
            next_cursor=page.next_cursor if params.cursor_paging else None,
            previous_cursor=page.previous_cursor if params.cursor_paging else None,
        )

    def search_all(self, params: ListParams, trace: Trace) -> dict[str, Any]:
        """``POST /.search``: every resource type's matches, one list paged in memory."""
        trace.action = "search"
        if params.cursor_paging:
            raise InvalidValue("cursor paging is not offered for a search across resource types")
        matched: list[dict[str, Any]] = []
        total = 0
        flt = (
            _deps.parse_filter(params.filter, registry=self.config.registry)
            if params.filter
            else None
        )
        stop = params.start_index - 1 + params.count
        types = self.config.registry.resource_types
        narrowed = per_type(flt, types, self.config.registry) if flt is not None else {}
        with self.store.transaction(readonly=True) as tx:
            for rt in types:
                rt_filter = narrowed.get(rt.name)
                if rt_filter is False:
                    continue  # the filter cannot match this resource type
                query = Query(
                    filter=rt_filter if isinstance(rt_filter, Filter) else None,
                    sort_by=params.sort_by,
                    sort_order=_order(params.sort_order),
                    start_index=1,
                    count=max(0, stop - len(matched)) if len(matched) < stop else 0,
                )
                page = tx.search(rt.name, query)
                total += page.total
                if page.resources:
                    matched.extend(
                        self.render(
                            tx,
                            rt,
                            _as_stored(page.resources),
                            params.attributes,
                            params.excluded_attributes,
                        )
                    )
        window = matched[params.start_index - 1 : stop]
        return list_response(window, total=total, start_index=params.start_index)

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self,
        rt: ResourceType,
        data: Mapping[str, Any],
        ctx: RequestContext,
        trace: Trace,
        *,
        attributes: Sequence[str] | None = None,
        excluded: Sequence[str] | None = None,
    ) -> Outcome:
        """POST: validate, assign id and meta, run the hooks, store; 201 with Location."""
        trace.action, trace.resource_type = "create", rt.name
        self._check_sizes(rt, data)
        clean = _deps.validate_resource(
            self._lenient(rt, data),
            resource_type=rt.name,
            registry=self.config.registry,
            context="create",
            canonical=not self.config.lenient_bodies,
        )
        rid = self.id_factory()
        trace.resource_id = rid
        trace.user_name = _user_name(clean)
        now = timestamp(self.clock())
        clean["id"] = rid
        clean["meta"] = {"resourceType": rt.name, "created": now, "lastModified": now}
        sent = _password_of(clean)
        with self.store.transaction() as tx:
            new = self._hooks("create", rt, rid, None, clean, ctx, tx)
            assert isinstance(new, dict)
            new = self._server_owned(rt, new, rid, clean["meta"])
            new = self._seal_password(rt, new, sent, None)
            self._check_group(tx, rt, rid, new, None)
            stored = tx.create(rt.name, new)
            # a store may name the resource itself (an application store: the row's key)
            rid = trace.resource_id = stored.id
            trace.changes = changed_attributes(
                None, new, resource_type=rt, registry=self.config.registry
            )
            body = self.render(tx, rt, [stored], attributes, excluded)[0]
            self._audit(tx, ctx, trace, 201)
        loc = self.location(rt, rid)
        return Outcome(status=201, body=body, etag=etag_for(stored.version), location=loc)

    def replace(
        self,
        rt: ResourceType,
        rid: str,
        data: Mapping[str, Any],
        ctx: RequestContext,
        trace: Trace,
        *,
        if_match: str | None = None,
        attributes: Sequence[str] | None = None,
        excluded: Sequence[str] | None = None,
    ) -> Outcome:
        """PUT: replace every writable attribute; never creates."""
        trace.action, trace.resource_type, trace.resource_id = "replace", rt.name, rid
        self._check_sizes(rt, data)
        clean = _deps.validate_resource(
            self._lenient(rt, data),
            resource_type=rt.name,
            registry=self.config.registry,
            context="replace",
            canonical=not self.config.lenient_bodies,
        )
        with self.store.transaction() as tx:
            old = self._load(tx, rt, rid, for_update=True)
            _check_if_match(if_match, old.version)
            meta = dict(old.resource.get("meta") or {})
            meta["lastModified"] = timestamp(self.clock())
            clean["id"] = rid
            clean["meta"] = meta
            sent = _password_of(clean)
            new = self._hooks("replace", rt, rid, old.resource, clean, ctx, tx)
            if isinstance(new, DeleteInstead):
                return self._delete_instead(tx, rt, old, new, ctx, trace, attributes, excluded)
            assert new is not None
            new = self._server_owned(rt, new, rid, meta)
            new = self._seal_password(rt, new, sent, old.resource)
            trace.user_name = _user_name(new)
            self._check_group(tx, rt, rid, new, old.resource)
            stored = tx.replace(rt.name, rid, new, expected_version=old.version)
            trace.changes = changed_attributes(
                old.resource, new, resource_type=rt, registry=self.config.registry
            )
            body = self.render(tx, rt, [stored], attributes, excluded)[0]
            self._audit(tx, ctx, trace, 200)
        return Outcome(
            status=200, body=body, etag=etag_for(stored.version), location=self.location(rt, rid)
        )

    def patch(
        self,
        rt: ResourceType,
        rid: str,
        request: Mapping[str, Any],
        ctx: RequestContext,
        trace: Trace,
        *,
        if_match: str | None = None,
        attributes: Sequence[str] | None = None,
        excluded: Sequence[str] | None = None,
        reply: Literal["resource", "no_content"] | None = None,
    ) -> Outcome:
        """PATCH: apply the operations atomically; 200 with the resource, or 204 if configured.

        ``reply`` is this request's choice (``Prefer: return=minimal`` or
        ``return=representation``, RFC 7240); without one, ``config.patch_response`` decides.

        A Group PATCH whose member operations are plain adds and removes goes through
        :meth:`_patch_members` (members never loaded); anything else loads the resource,
        patches it and validates the result once.
        """
        trace.action, trace.resource_type, trace.resource_id = "patch", rt.name, rid
        minimal = (reply or self.config.patch_response) == "no_content"
        plan = self._member_plan(rt, request)
        early = None
        if plan is None and rt is not self._group_rt and _big(request):
            # a big PATCH is worked out on a snapshot, outside the write lock, so other
            # writers do not wait for it; it is used if the resource has not moved meanwhile
            with self.store.transaction(readonly=True) as snap_tx:
                snap = self._load(snap_tx, rt, rid)
            _check_if_match(if_match, snap.version)
            early = (snap.version, self._apply(rt, snap.resource, request))
        with self.store.transaction() as tx:
            if plan is not None and isinstance(tx, MemberDeltas):
                fast = self._patch_members(tx, rt, rid, plan, trace, if_match)
                return self._patched(tx, rt, rid, fast, ctx, trace, attributes, excluded, minimal)
            old = self._load(tx, rt, rid, for_update=True)
            _check_if_match(if_match, old.version)
            if early is not None and early[0] == old.version:
                clean = early[1]
            else:
                clean = self._apply(rt, old.resource, request)
            stored = old
            if clean is not None:
                meta = dict(old.resource.get("meta") or {})
                meta["lastModified"] = timestamp(self.clock())
                clean["id"] = rid
                clean["meta"] = meta
                sent = _password_of(clean)
                new = self._hooks("patch", rt, rid, old.resource, clean, ctx, tx)
                if isinstance(new, DeleteInstead):
                    return self._delete_instead(
                        tx, rt, old, new, ctx, trace, attributes, excluded, minimal=minimal
                    )
                assert new is not None
                new = self._server_owned(rt, new, rid, meta)
                new = self._seal_password(rt, new, sent, old.resource)
                self._check_group(tx, rt, rid, new, old.resource)
                stored = tx.replace(rt.name, rid, new, expected_version=old.version)
                trace.changes = changed_attributes(
                    old.resource, new, resource_type=rt, registry=self.config.registry
                )
            else:
                trace.changes = {}
            return self._patched(tx, rt, rid, stored, ctx, trace, attributes, excluded, minimal)

    def _apply(
        self, rt: ResourceType, resource: Mapping[str, Any], request: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Patch a resource and validate the result once; None when nothing changes."""
        patched, changed = _deps.patch_resource(
            resource,
            request,
            resource_type=rt.name,
            registry=self.config.registry,
            max_operations=self.config.patch_max_operations,
            max_values=self.config.max_values,
            limits=self._limits,
        )
        return self._validate_patched(rt, patched) if changed else None

    def _member_plan(self, rt: ResourceType, request: Mapping[str, Any]) -> MemberPlan | None:
        """The member-delta plan of a Group PATCH, when that path can take it (else None).

        Not with before-write hooks (they see whole resources) nor on a store whose
        transactions lack :class:`~scimcore.store.MemberDeltas`.
        """
        if rt is not self._group_rt or self.config.before_write:
            return None
        return plan_member_patch(
            request, rt, self.config.registry, max_operations=self.config.patch_max_operations
        )

    def _patched(
        self,
        tx: Transaction,
        rt: ResourceType,
        rid: str,
        stored: Stored,
        ctx: RequestContext,
        trace: Trace,
        attributes: Sequence[str] | None,
        excluded: Sequence[str] | None,
        minimal: bool,
    ) -> Outcome:
        """The reply to a PATCH: 204 (``minimal``), or 200 with the resource as asked."""
        trace.user_name = _user_name(stored.resource)
        etag = etag_for(stored.version)
        if minimal:
            self._audit(tx, ctx, trace, 204)
            return Outcome(status=204, etag=etag)
        slim = rt is self._group_rt and "members" not in stored.resource
        if slim and _wants("members", attributes, excluded):  # the reply shows them: read them
            stored = self._load(tx, rt, rid)
        body = self.render(tx, rt, [stored], attributes, excluded)[0]
        self._audit(tx, ctx, trace, 200)
        return Outcome(status=200, body=body, etag=etag, location=self.location(rt, rid))

    def _check_sizes(self, rt: ResourceType, data: Mapping[str, Any]) -> None:
        """400 ``tooMany`` for a body holding more values than the caps, before any work."""
        _deps.check_sizes(
            data,
            resource_type=rt,
            registry=self.config.registry,
            max_values=self.config.max_values,
            limits=self._limits,
        )

    @property
    def _limits(self) -> dict[str, int]:
        return {"members": self.config.max_members}

    def _validate_patched(self, rt: ResourceType, patched: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a patched resource once, as a PUT body would be."""
        try:
            return _deps.validate_resource(
                {k: v for k, v in patched.items() if k not in ("id", "meta")},
                resource_type=rt.name,
                registry=self.config.registry,
                context="replace",
                canonical=not self.config.lenient_bodies,
            )
        except ScimError as exc:
            raise type(exc)(
                f"the patched resource would no longer be valid: {exc.detail}", path=exc.path
            ) from exc

    def _patch_members(
        self,
        tx: Transaction,
        rt: ResourceType,
        rid: str,
        plan: MemberPlan,
        trace: Trace,
        if_match: str | None,
    ) -> Stored:
        """A Group PATCH as a member delta (see ``scimcore.service._members``), or None.

        The group is read without its members; the store is asked only about the values the
        request names, new members are resolved (and referenced by foreign key), and only the
        changed member rows are written. The other attributes are patched on the member-less
        group and validated; new member elements are built by the server.
        """
        assert isinstance(tx, MemberDeltas)
        old = tx.get(rt.name, rid, exclude_members=True, for_update=True)
        if old is None:
            raise NotFound(f"no {rt.name} with id {rid!r}")
        _check_if_match(if_match, old.version)
        new: dict[str, Any] = dict(old.resource)
        changed = False
        if plan.rest is not None:
            new, changed = _deps.patch_resource(
                old.resource,
                plan.rest,
                resource_type=rt.name,
                registry=self.config.registry,
                max_operations=self.config.patch_max_operations,
                max_values=self.config.max_values,
                limits=self._limits,
            )
        delta, count = self._member_delta(tx, rid, plan.steps)
        if not changed and not delta:
            trace.changes = {}
            return old
        meta = dict(old.resource.get("meta") or {})
        meta["lastModified"] = timestamp(self.clock())
        if changed:
            new = self._validate_patched(rt, new)
        new = self._server_owned(rt, new, rid, meta)
        self._check_group(tx, rt, rid, new, old.resource)
        if count > self.config.max_members:
            raise TooMany(
                f"the group would have {count} members; this server keeps at most "
                f"{self.config.max_members} in one group",
                path=["members"],
            )
        added = []
        for i, value in enumerate(delta.added):
            entry: dict[str, Any] = {"value": value["value"]}
            self._resolve_member(tx, rid, entry["value"], entry, i)
            added.append(entry)
        delta = MemberDelta(added=tuple(added), removed=delta.removed, clear=delta.clear)
        stored = tx.update_group(rid, new, delta, expected_version=old.version)
        changes = changed_attributes(
            old.resource, new, resource_type=rt, registry=self.config.registry
        )
        if delta.clear:
            changes["members"] = {"old": "every member", "new": None}
        for member in delta.removed:
            changes[f'members[value eq "{member}"]'] = {"old": {"value": member}, "new": None}
        for entry in added:
            changes[f'members[value eq "{entry["value"]}"]'] = {"old": None, "new": entry}
        trace.changes = changes
        return stored

    def _member_delta(
        self, tx: MemberDeltas, rid: str, steps: Sequence[MemberStep]
    ) -> tuple[MemberDelta, int]:
        """Fold the steps over the members they name; return the delta and the new count."""
        named = [v for step in steps for v in step.values]
        present = tx.members_among(rid, named) if named else {}
        cleared = False
        removed: dict[str, str] = {}
        added: dict[str, str] = {}
        for step in steps:
            if step.kind == "clear":
                cleared, added = True, {}
                continue
            for value in step.values:
                key = value.lower()
                there = key in added or (
                    not cleared and key in present and present[key] not in removed
                )
                if step.kind == "add" and not there:
                    added[key] = value
                elif step.kind == "remove" and there:
                    if key in added:
                        del added[key]
                    else:
                        removed[present[key]] = present[key]
        before = 0 if cleared else tx.member_count(rid) - len(removed)
        delta = MemberDelta(
            added=tuple({"value": v} for v in added.values()),
            removed=() if cleared else tuple(removed),
            clear=cleared,
        )
        return delta, before + len(added)

    def delete(
        self,
        rt: ResourceType,
        rid: str,
        ctx: RequestContext,
        trace: Trace,
        *,
        if_match: str | None = None,
    ) -> Outcome:
        """DELETE: 204; a deleted user or group also leaves every group it was a member of.

        A before-write hook may keep the resource instead (deprovisioning by deactivation).
        """
        trace.action, trace.resource_type, trace.resource_id = "delete", rt.name, rid
        with self.store.transaction() as tx:
            old = self._load(tx, rt, rid, for_update=True)
            trace.user_name = _user_name(old.resource)
            _check_if_match(if_match, old.version)
            kept = self._hooks("delete", rt, rid, old.resource, None, ctx, tx)
            if isinstance(kept, DeleteInstead):
                kept = None
            if kept is not None:
                meta = dict(old.resource.get("meta") or {})
                meta["lastModified"] = timestamp(self.clock())
                kept = self._server_owned(rt, kept, rid, meta)
                tx.replace(rt.name, rid, kept, expected_version=old.version)
                trace.changes = changed_attributes(
                    old.resource, kept, resource_type=rt, registry=self.config.registry
                )
                self._audit(tx, ctx, trace, 204)
                return Outcome(status=204)
            # leave the groups first, while this row is locked: a concurrent add of this member
            # has committed (it is seen and removed) or waits on the lock and then fails
            if self._group_rt is not None and (rt is self._user_rt or rt is self._group_rt):
                tx.remove_member(rid, last_modified=timestamp(self.clock()))
            tx.delete(rt.name, rid, expected_version=old.version)
            trace.changes = changed_attributes(
                old.resource, None, resource_type=rt, registry=self.config.registry
            )
            self._audit(tx, ctx, trace, 204)
        return Outcome(status=204)

    def _audit(self, tx: Transaction, ctx: RequestContext, trace: Trace, status: int) -> None:
        """Record a write in its own transaction, before it commits (see ``audit_writer``)."""
        if self.audit_writer is not None:
            trace.status = status
            self.audit_writer(tx, ctx, trace, status)

    def _lenient(self, rt: ResourceType, data: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.config.lenient_bodies:
            return data
        return lenient_body(data, rt, self.config.registry)

    # -- helpers --------------------------------------------------------------------------------

    def _hooks(
        self,
        action: WriteAction,
        rt: ResourceType,
        rid: str,
        old: Mapping[str, Any] | None,
        new: dict[str, Any] | None,
        ctx: RequestContext,
        tx: Transaction | None = None,
    ) -> dict[str, Any] | DeleteInstead | None:
        current = new
        for hook in self.config.before_write:
            out = hook(WriteEvent(action, rt.name, rid, old, current, ctx, tx))
            if isinstance(out, DeleteInstead):
                if old is None:
                    raise ConfigurationError("a before-write hook cannot delete on create")
                return out
            if out is not None:
                current = dict(out)
        return current

    def _delete_instead(
        self,
        tx: Transaction,
        rt: ResourceType,
        old: Stored,
        decision: DeleteInstead,
        ctx: RequestContext,
        trace: Trace,
        attributes: Sequence[str] | None,
        excluded: Sequence[str] | None,
        *,
        minimal: bool | None = None,
    ) -> Outcome:
        """Carry out a hook's DeleteInstead: delete, leave groups, answer with its resource."""
        rid = old.id
        if self._group_rt is not None and (rt is self._user_rt or rt is self._group_rt):
            tx.remove_member(rid, last_modified=timestamp(self.clock()))
        tx.delete(rt.name, rid, expected_version=old.version)
        trace.changes = changed_attributes(
            old.resource, None, resource_type=rt, registry=self.config.registry
        )
        if minimal is None:
            minimal = self.config.patch_response == "no_content"
        if not decision.resource or minimal:
            self._audit(tx, ctx, trace, 204)
            return Outcome(status=204)
        shown = Stored({**decision.resource, "id": rid}, old.version + 1)
        body = self.render(tx, rt, [shown], attributes, excluded)[0]
        body.pop("groups", None)
        self._audit(tx, ctx, trace, 200)
        return Outcome(status=200, body=body)

    def _server_owned(
        self, rt: ResourceType, resource: Mapping[str, Any], rid: str, meta: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Put back the server-owned id and meta; drop a User's computed ``groups``."""
        out = dict(resource)
        out["id"] = rid
        out["meta"] = {k: v for k, v in meta.items() if k not in ("location", "version")}
        if rt is self._user_rt and self._users_have_groups:
            out.pop("groups", None)
        return out

    def _seal_password(
        self,
        rt: ResourceType,
        new: dict[str, Any],
        sent: object,
        old: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Never store a password in clear: hash what the client sent, keep what is already kept.

        A value equal to the stored one is the stored hash carried over (a PATCH that did not
        touch it); a value a before-write hook changed is that hook's (a policy's hasher, an
        application's format). Anything else is the client's clear text and is hashed with
        ``config.password_hasher`` (scimcore's scrypt when None). An empty string is dropped.
        """
        key = next((k for k in new if k.lower() == "password"), None)
        if key is None:
            return new
        value = new[key]
        stored = _password_of(old) if old is not None else None
        if not isinstance(value, str) or (value == stored and old is not None):
            return new
        if value != sent:
            return new
        out = dict(new)
        del out[key]
        if value == "":
            return out
        hasher = self.config.password_hasher
        if hasher is None:
            from scimcore.policy._password import hash_password

            hasher = hash_password
        out["password"] = hasher(value)
        return out

    def _check_group(
        self,
        tx: Transaction,
        rt: ResourceType,
        rid: str,
        new: dict[str, Any],
        old: Mapping[str, Any] | None,
    ) -> None:
        """Group rules: members exist (type and $ref filled in); displayName unique if asked."""
        if rt is not self._group_rt:
            return
        if self.config.group_display_name_unique and isinstance(new.get("displayName"), str):
            name = new["displayName"]
            renamed = old is None or str(old.get("displayName", "")).lower() != name.lower()
            if renamed and any(s.id != rid for s in tx.find_by(rt.name, "displayName", name)):
                raise Uniqueness(f"a group with displayName {name!r} already exists")
        members = new.get("members")
        if not members:
            return
        # members.value is caseExact false (RFC 7643 §8.7.1): one member per value whatever its
        # case, as the member-delta path and the stores' lower(member_id) index compare
        known = {
            m["value"].lower(): m
            for m in (old or {}).get("members") or ()
            if isinstance(m, Mapping) and isinstance(m.get("value"), str)
        }
        seen: set[str] = set()
        kept: list[dict[str, Any]] = []
        for i, member in enumerate(members):
            value = member.get("value") if isinstance(member, Mapping) else None
            if not isinstance(value, str) or not value:
                raise InvalidValue(
                    "each member needs a string 'value'", path=["members", i, "value"]
                )
            key = value.lower()
            if key in seen:
                continue  # idempotent: IdPs re-send members they already added
            seen.add(key)
            # value is the client's; $ref, type and display are always the server's
            entry = {k: v for k, v in member.items() if k.lower() not in _SERVER_MEMBER_KEYS}
            before = known.get(key)
            if before is not None and before.get("type") in ("User", "Group"):
                for key in ("type", "$ref", "display"):
                    if before.get(key) is not None:
                        entry[key] = before[key]
            else:
                self._resolve_member(tx, rid, value, entry, i)
            kept.append(entry)
        new["members"] = kept

    def _resolve_member(
        self, tx: Transaction, gid: str, value: str, entry: dict[str, Any], index: int
    ) -> None:
        assert self._group_rt is not None
        if value.lower() == gid.lower():
            raise InvalidValue("a group cannot be a member of itself", path=["members", index])
        kinds: Iterable[ResourceType | None] = (self._user_rt, self._group_rt)
        for kind in kinds:
            found = tx.get(kind.name, value, exclude_members=True) if kind is not None else None
            if kind is not None and found is not None:
                entry["type"] = kind.name
                entry["$ref"] = self.location(kind, value)
                display = found.resource.get("displayName")
                if not isinstance(display, str) and kind is self._user_rt:
                    display = found.resource.get("userName")
                if isinstance(display, str) and display:
                    entry["display"] = display
                return
        raise InvalidValue(
            f"member {value!r} is neither a User nor a Group on this server",
            path=["members", index, "value"],
        )


_SERVER_MEMBER_KEYS = frozenset(("$ref", "type", "display"))


def _big(request: Mapping[str, Any]) -> bool:
    """Whether a PATCH body is big enough to be worked out outside the write lock."""
    ops = request.get("Operations") if isinstance(request, Mapping) else None
    if not isinstance(ops, list):
        return False
    if len(ops) > _BIG_OPERATIONS:
        return True
    values = 0
    for op in ops:
        value = op.get("value") if isinstance(op, Mapping) else None
        if isinstance(value, list):
            values += len(value)
    return values > _BIG_VALUES


_BIG_OPERATIONS = 20
_BIG_VALUES = 200


def _as_stored(resources: Iterable[dict[str, Any]]) -> list[Stored]:
    """Search results carry their version in ``meta.version`` (``W/"3"``)."""
    out = []
    for res in resources:
        meta = res.get("meta")
        tag = meta.get("version") if isinstance(meta, Mapping) else None
        digits = "".join(c for c in str(tag or "") if c.isdigit())
        out.append(Stored(res, int(digits) if digits else 0))
    return out


def _order(sort_order: str | None) -> Literal["ascending", "descending"]:
    return "descending" if sort_order == "descending" else "ascending"


def _check_if_match(if_match: str | None, version: int) -> None:
    if if_match is None:
        return
    tags, star = parse_etags(if_match)
    if not star and str(version) not in tags:
        raise PreconditionFailed(
            f"the resource is at version {etag_for(version)}, not {if_match}; "
            "read it again and retry"
        )


def _password_of(resource: Mapping[str, Any] | None) -> object:
    """The ``password`` value of a resource (any case), or None."""
    if resource is None:
        return None
    return next((v for k, v in resource.items() if k.lower() == "password"), None)


def _user_name(resource: Mapping[str, Any]) -> str | None:
    value = resource.get("userName")
    return value if isinstance(value, str) else None
