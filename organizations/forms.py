from django import forms
from django.db.models import Q

from .models import Organization, Region


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label="名称或信用代码", required=False)
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型"), *Organization.Kind.choices])
    level = forms.ChoiceField(label="层级", required=False, choices=[("", "全部层级"), *Organization.Level.choices])
    region = forms.CharField(label="行政区划代码", required=False, max_length=6)

    def filter(self, qs):
        """Narrow an already visible queryset; filters never widen what the caller may see."""
        if not self.is_valid():
            return qs
        cd = self.cleaned_data
        if cd.get("q"):
            q = cd["q"].strip()
            qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()))
        if cd.get("kind"):
            qs = qs.filter(kind=cd["kind"])
        if cd.get("level"):
            qs = qs.filter(level=cd["level"])
        if cd.get("region"):
            region = Region.objects.filter(code=cd["region"].ljust(6, "0")).first()
            qs = qs.filter(region__code__startswith=region.prefix if region else cd["region"])
        return qs


class OrganizationForm(forms.ModelForm):
    region = forms.ModelChoiceField(label="所在行政区划", queryset=Region.objects.none(), to_field_name="code")

    class Meta:
        model = Organization
        fields = [
            "kind",
            "name",
            "credit_code",
            "region",
            "level",
            "parent",
            "domain",
            "competent_authority",
            "legal_representative",
            "address",
            "contact_name",
            "contact_phone",
        ]

    def __init__(self, *args, authorities=None, region_prefixes=(), **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.all()
        if region_prefixes:
            match = Q()
            for prefix in region_prefixes:
                match |= Q(code__startswith=prefix)
            regions = regions.filter(match)
        self.fields["region"].queryset = regions
        self.fields["region"].label_from_instance = lambda r: f"{r.code} {r.name}"
        if authorities is not None:
            self.fields["parent"].queryset = authorities
            self.fields["competent_authority"].queryset = authorities
        # The service validates credit codes with positions named; the model validator would repeat it.
        self.fields["credit_code"].validators = []
