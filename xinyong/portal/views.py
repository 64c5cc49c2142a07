"""The public site 信用吉林. For now a placeholder home page; the portal is a later issue."""

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    return render(request, "portal/home.html")
