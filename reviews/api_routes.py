"""Registers the review chain's API viewsets on the /api/v1/ router (each module lists its own ROUTES)."""


def register(router) -> None:
    from . import api_batches, api_consultations, api_experts, api_publicity, api_publicity_manage

    for module in (api_consultations, api_batches, api_experts, api_publicity, api_publicity_manage):
        for prefix, viewset, basename in module.ROUTES:
            router.register(prefix, viewset, basename=basename)
