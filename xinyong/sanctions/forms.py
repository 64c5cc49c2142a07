"""The filter form of a list page (GET; says in Chinese what is wrong with the query string)."""

from __future__ import annotations

from django import forms

from xinyong.catalog.registry import ListType
from xinyong.publicity.forms import RegionField, check_date_range, date_field

from .selectors import list_departments


class ListFilterForm(forms.Form):
    region = RegionField(label="主体所在地区")
    dept = forms.ChoiceField(label="认定部门", required=False, error_messages={"invalid_choice": "未知的部门编码“%(value)s”"})
    listed_from = date_field("列入日期自")
    listed_to = date_field("列入日期至")

    def __init__(self, *args, list_type: ListType, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dept"].choices = [("", "全部部门"), *((d.code, d.name) for d in list_departments(list_type))]

    def clean(self):
        data = super().clean()
        check_date_range(self, "listed_from", "listed_to")
        return data
