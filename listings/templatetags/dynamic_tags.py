"""{% dynamic_block listing %}: an entry's dynamic management (reports, re-checks, removals) as the user may see
them, for the entry's page (templates/listings/_dynamic_block.html)."""

from django import template

from listings.selectors_dynamic import listing_dynamic

register = template.Library()


@register.inclusion_tag("listings/dynamic/_block.html", takes_context=True)
def dynamic_block(context, listing):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or listing is None:
        return {"listing": listing, "dynamic": None, "hidden": True}
    from listings.services import may_decide
    from listings.views_dynamic import acting_authority

    authority = acting_authority(request)
    return {
        "listing": listing,
        "dynamic": listing_dynamic(listing, user),
        "may_act": authority is not None and may_decide(user, authority),
        "request": request,
    }
