"""REST API for the authority that runs a 公示: create, publish, handle objections, finalize.

The public side (list, detail, objections from anyone) is reviews/api_publicity.py. Here everything is scoped by
publicities_visible_to / objections_visible_to: another authority's 公示 or objection is a 404.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from applications.selectors import applications_visible_to
from greenmfg.validators import MAX_OBJECT_ID
from notices.selectors import notices_visible_to

from .models import Objection, Publicity
from .selectors import publicity as sel
from .services import publicity as svc


def _problems(exc: DjangoValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


class ManagedEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    name = serializers.CharField(source="application.applicant.name")
    outcome = serializers.CharField(help_text="空为待定，listed 列入名单，not_listed 不予列入")
    note = serializers.CharField()


class ManagedObjectionSerializer(serializers.ModelSerializer):
    entry_name = serializers.CharField(source="entry.application.applicant.name")
    status = serializers.CharField(help_text="open 待处理，upheld 异议成立，dismissed 异议不成立")

    class Meta:
        model = Objection
        fields = ["id", "entry", "entry_name", "name", "organization_name", "phone", "email", "content"]
        fields += ["submitted_at", "status", "response", "handled_at"]


class ManagedPublicitySerializer(serializers.ModelSerializer):
    authority = serializers.CharField(source="authority.name")
    state = serializers.CharField(help_text="draft 草稿，published 公示中，finalized 已定稿")
    entries = ManagedEntrySerializer(many=True, read_only=True)
    objections = ManagedObjectionSerializer(many=True, read_only=True)

    class Meta:
        model = Publicity
        fields = ["id", "title", "authority", "notice", "starts_on", "ends_on", "contact", "body", "state"]
        fields += ["entries", "objections"]


class PublicityCreateSerializer(serializers.Serializer):
    notice = serializers.IntegerField(label="通知", help_text="本单位发布的、作为本轮起点的通知")
    title = serializers.CharField(label="公示标题", max_length=200)
    starts_on = serializers.DateField(label="公示开始日期")
    ends_on = serializers.DateField(label="公示结束日期")
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID), allow_empty=False
    )
    body = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class OutcomeSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["listed", "not_listed"])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FinalizeSerializer(serializers.Serializer):
    outcomes = OutcomeSerializer(many=True, required=False, help_text="未列出的条目：默认列入，异议成立的不予列入")


class HandleSerializer(serializers.Serializer):
    objection = serializers.IntegerField(label="异议编号")
    status = serializers.ChoiceField(choices=["upheld", "dismissed"], label="处理结果")
    response = serializers.CharField(label="处理意见")


class RefusalSerializer(serializers.Serializer):
    # Either a refusal (detail and problems) or the request's field errors keyed by field: neither key is required.
    detail = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False)


REFUSED = {400: RefusalSerializer, 404: OpenApiResponse(description="公示不存在或无权查看")}


class PublicityManageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's authority's 公示, drafts included."""

    serializer_class = ManagedPublicitySerializer
    queryset = Publicity.objects.none()

    def get_queryset(self):
        return (
            sel.publicities_managed_by(self.request.user)
            .select_related("authority")
            .prefetch_related("entries__application__applicant", "objections__entry__application__applicant")
            .order_by("-starts_on", "-id")
        )

    def _refuse(self, exc: DjangoValidationError):
        problems = _problems(exc)
        return Response({"detail": "；".join(problems), "problems": problems}, status=status.HTTP_400_BAD_REQUEST)

    def _run(self, fn, **kwargs):
        try:
            publicity = fn(actor=self.request.user, request=self.request, **kwargs)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return self._refuse(exc)
        return Response(ManagedPublicitySerializer(self.get_queryset().get(pk=publicity.pk)).data)

    @extend_schema(request=PublicityCreateSerializer, responses={201: ManagedPublicitySerializer, **REFUSED})
    def create(self, request):
        data = PublicityCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        notice = notices_visible_to(request.user).filter(pk=v["notice"]).select_related("issuer").first()
        if notice is None:
            raise ValidationError({"notice": ["通知不存在或无权查看。"]})
        visible = applications_visible_to(request.user).filter(pk__in=v["applications"])
        found = {a.pk: a for a in visible}
        missing = [pk for pk in v["applications"] if pk not in found]
        if missing:
            raise ValidationError({"applications": [f"申报不存在或无权查看：{', '.join(map(str, missing))}"]})
        try:
            publicity = svc.publicity_create(
                actor=request.user,
                authority=notice.issuer,
                notice=notice,
                title=v["title"],
                starts_on=v["starts_on"],
                ends_on=v["ends_on"],
                applications=[found[pk] for pk in v["applications"]],
                body=v["body"],
                contact=v["contact"],
                request=request,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return self._refuse(exc)
        return Response(
            ManagedPublicitySerializer(self.get_queryset().get(pk=publicity.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: ManagedPublicitySerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._run(svc.publicity_publish, publicity=self.get_object())

    @extend_schema(request=HandleSerializer, responses={200: ManagedPublicitySerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        publicity = self.get_object()
        data = HandleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = get_object_or_404(
            sel.objections_visible_to(request.user).filter(publicity=publicity), pk=data.validated_data["objection"]
        )
        try:
            svc.objection_handle(
                actor=request.user,
                objection=objection,
                status=data.validated_data["status"],
                response=data.validated_data["response"],
                request=request,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return self._refuse(exc)
        return Response(ManagedPublicitySerializer(self.get_queryset().get(pk=publicity.pk)).data)

    @extend_schema(request=FinalizeSerializer, responses={200: ManagedPublicitySerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        publicity = self.get_object()
        data = FinalizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entries = set(publicity.entries.values_list("pk", flat=True))
        outcomes = {}
        for row in data.validated_data.get("outcomes", []):
            if row["entry"] not in entries:
                raise NotFound("公示条目不存在。")
            outcomes[row["entry"]] = (row["outcome"], row["note"])
        return self._run(svc.publicity_finalize, publicity=publicity, outcomes=outcomes)


ROUTES = [("publicity-management", PublicityManageViewSet, "api-publicity-manage")]
