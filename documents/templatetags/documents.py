"""`{% documents_panel owner %}`: the documents of an object, each with its state, download and a button to render."""

from django import template

from ..kinds import KINDS, kinds_for
from ..selectors import latest_documents, scope_visible
from ..views import row_context

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def documents_panel(context, owner, scope=None, only="", done_only=False):
    user = context["request"].user
    label = f"{owner._meta.app_label}.{owner._meta.object_name}"
    kinds = [KINDS[c] for c in only.split(",")] if only else kinds_for(label)
    scope_id = scope.pk if scope is not None else None
    latest = latest_documents(user, owner=owner, scope_id=scope_id)
    rows = []
    for kind in kinds:
        sid = scope_id if scope_id is not None else getattr(owner, f"{kind.scope}_id")
        if not scope_visible(user, kind, sid):
            continue
        doc = latest.get(kind.code)
        if done_only and (doc is None or doc.status != doc.Status.DONE):
            continue  # the public sees finished files only
        rows.append(row_context(user, kind=kind, owner_id=owner.pk, scope_id=sid, doc=doc))
    return {"rows": rows, "request": context["request"], "csrf_token": context.get("csrf_token")}
