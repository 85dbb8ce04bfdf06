"""REST API for the workflow: the applications endpoint with `transitions`, the rows of reviews/workflow.py
the caller may perform now, performed through the one entry point reviews.services.transition_perform.

Refusals: an unknown action or a missing reason is a field error (400); a guard that blocks is a 400 listing the
problems; someone else having moved the application first (a stale `version`, or a state the action does not start
from) is a 409 with the current state; no right to act on a visible application is a 403; an invisible one, a 404.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from applications.api import APPLICATION_ID, ERRORS, ApplicationDetailSerializer, ApplicationViewSet
from applications.models import Application
from eligibility.catalogue import KINDS, OUTCOMES
from eligibility.selectors import latest_evaluation
from eligibility.services import evaluate_application

from .services import TransitionConflict, available_actions, transition_perform
from .workflow import TRANSITIONS


class TransitionOptionSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="操作代码，提交办理时使用")
    label = serializers.CharField()
    allowed = serializers.BooleanField(help_text="现在能否办理；否则见 problems")
    problems = serializers.ListField(child=serializers.CharField(), help_text="尚不能办理的原因")
    reason_required = serializers.BooleanField(help_text="办理时是否须填写理由")


class TransitionsSerializer(serializers.Serializer):
    state = serializers.CharField()
    state_display = serializers.CharField()
    version = serializers.IntegerField(help_text="办理时作为期望版本提交，可防止与他人同时办理")
    actions = TransitionOptionSerializer(many=True, help_text="本人现在可以对该申报办理的操作")


class TransitionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        label="操作",
        choices=[(t.action, t.label) for t in TRANSITIONS if not t.internal],
        error_messages={"invalid_choice": "未知操作：{input}。"},
    )
    reason = serializers.CharField(label="理由", required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        label="期望版本",
        required=False,
        min_value=1,
        help_text="看到的申报版本；申报已被他人处理（版本已变）时答复 409，不办理",
    )


class TransitionRefusalSerializer(serializers.Serializer):
    # Either a refusal (detail and problems) or the request's field errors keyed by field: neither key is required.
    detail = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False)


class TransitionConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField()
    version = serializers.IntegerField()


class EligibilityResultSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="规则代码，如 NEG-TAX、FACTORY-ENERGY-BENCHMARK")
    title = serializers.CharField(help_text="规则名称")
    kind = serializers.ChoiceField(
        choices=list(KINDS.items()), help_text="hard 硬性条件（不符合则不能提交）、priority 优先条件、advisory 提示"
    )
    outcome = serializers.ChoiceField(
        choices=list(OUTCOMES.items()),
        help_text="pass 符合、fail 不符合、warn 提示、needs_evidence 待补充证据、not_applicable 不适用",
    )
    message = serializers.CharField(help_text="结论说明")
    evidence = serializers.DictField(help_text="判断所依据的事实（键值）")


class EligibilitySerializer(serializers.Serializer):
    rule_set_version = serializers.IntegerField(help_text="所依据的本通知资格审查规则集版本")
    evaluated_at = serializers.DateTimeField(help_text="审查时间")
    blocked = serializers.BooleanField(help_text="是否有硬性条件不符合（不符合则不能提交）")
    results = EligibilityResultSerializer(many=True, help_text="每条启用规则的结果")


class ApplicationFlowViewSet(ApplicationViewSet):
    """Applications, with the workflow's transitions (applications does not import reviews; this extends it)."""

    @extend_schema(
        methods=["GET"],
        summary="可办理的操作",
        description="本人现在可以对该申报办理的操作（提交、撤回、退回修改……），每项说明能否办理以及还缺什么。",
        parameters=[APPLICATION_ID],
        responses={200: TransitionsSerializer, 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="办理操作",
        description="按流程表办理一项操作：action 为操作代码，退回修改、不予推荐须填写理由；"
        "version 为看到的版本，申报已被他人处理时答复 409。",
        parameters=[APPLICATION_ID],
        request=TransitionRequestSerializer,
        responses={
            200: ApplicationDetailSerializer,
            400: OpenApiResponse(
                TransitionRefusalSerializer,
                description='尚不满足办理条件（problems 逐项列出），或字段错误（{"reason": [...]}）',
            ),
            403: OpenApiResponse(description="能看到该申报，但无权办理此操作"),
            404: ERRORS[404],
            409: OpenApiResponse(TransitionConflictSerializer, description="申报已被他人处理，当前状态不能办理此操作"),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def transitions(self, request, pk=None):
        application = self._visible(pk)
        if request.method == "GET":
            return Response(
                TransitionsSerializer(
                    {
                        "state": application.state,
                        "state_display": application.get_state_display(),
                        "version": application.version,
                        "actions": available_actions(request.user, application),
                    }
                ).data
            )
        data = self._input(TransitionRequestSerializer)
        try:
            application = transition_perform(
                actor=request.user,
                application=application,
                action=data["action"],
                reason=data["reason"],
                expected_version=data.get("version"),
                request=request,
            )
        except TransitionConflict as exc:
            current = Application.objects.get(pk=application.pk)
            return Response(
                {
                    "detail": "".join(exc.messages),
                    "state": current.state,
                    "state_display": current.get_state_display(),
                    "version": current.version,
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise ValidationError(exc.message_dict) from exc
            label = next(t.label for t in TRANSITIONS if t.action == data["action"])
            raise ValidationError(
                {"detail": f"现在不能{label}：" + "；".join(exc.messages), "problems": exc.messages}
            ) from exc
        return self._detail(application)

    @extend_schema(
        summary="资格审查结果",
        description="最近一次资格审查（负面清单、类别条件、第三方评价机构等规则）的结果和所依据的规则集版本；"
        "尚未审查过的当场审查。每条结果含规则、性质、结论、说明和依据的事实。",
        parameters=[APPLICATION_ID],
        responses={200: EligibilitySerializer, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request, pk=None):
        application = self._visible(pk)
        evaluation = latest_evaluation(application) or evaluate_application(application)
        return Response(
            EligibilitySerializer(
                {
                    "rule_set_version": evaluation.rule_set.version,
                    "evaluated_at": evaluation.created_at,
                    "blocked": evaluation.blocked,
                    "results": evaluation.findings,
                }
            ).data
        )
