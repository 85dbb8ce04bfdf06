"""Members of an organization: listed on its page, added and removed by those who manage it."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import Membership


class MemberForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    role = forms.ChoiceField(label="角色", choices=Membership.Role.choices)
    full_name = forms.CharField(label="姓名", max_length=150, required=False, help_text="新账号必填")
    email = forms.EmailField(label="电子邮箱", required=False, help_text="用于接收截止提醒")
    password = forms.CharField(
        label="初始密码",
        required=False,
        widget=forms.PasswordInput,
        help_text="仅在创建新账号时需要；至少10位，不能全为数字",
    )


def _managed_org(request, pk):
    org = selectors.organization_for(request.user, pk)
    if not selectors.can_manage_members(request.user, org):
        raise Http404
    return org


def member_add(request, pk: int):
    org = _managed_org(request, pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_invite(
                actor=request.user, organization=org, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(
                request, f"已将 {membership.user.username} 加入{org.name}（{membership.get_role_display()}）。"
            )
            return redirect("organization-detail", pk=org.pk)
    return render(request, "organizations/member_form.html", {"org": org, "form": form})


@require_POST
def member_remove(request, pk: int, membership_id: int):
    org = _managed_org(request, pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "organization"), pk=membership_id, organization=org
    )
    if membership.user_id == request.user.pk:
        messages.error(request, "不能移除自己的成员资格，请由其他管理员操作。")
    else:
        services.membership_remove(actor=request.user, membership=membership, request=request)
        messages.success(request, f"已停用 {membership.user.username} 在本单位的成员资格。")
    return redirect("organization-detail", pk=org.pk)
