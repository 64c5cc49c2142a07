from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from xinyong.api import api

admin.site.site_header = "信用吉林 · 信用中心管理"
admin.site.site_title = "信用吉林管理"
admin.site.index_title = "平台管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("xinyong.security.urls")),
    path("dept/evaluation/", include("xinyong.evaluation.urls")),
    path("dept/measures/", include("xinyong.measures.urls")),
    path("dept/lists/", include("xinyong.sanctions.dept_urls")),
    path("dept/accounts/", include("xinyong.accounts.dept_urls")),
    path("dept/cases/", include("xinyong.cases.dept_urls")),
    path("dept/redress/", include("xinyong.redress.dept_urls")),
    path("dept/agencies/", include("xinyong.agencies.dept_urls")),
    path("dept/tipoffs/", include("xinyong.tipoffs.dept_urls")),
    path("dept/annual-reports/", include("xinyong.annualreports.dept_urls")),
    path("dept/commitments/", include("xinyong.commitments.dept_urls")),
    path("dept/security/", include("xinyong.security.dept_urls")),
    path("dept/", include("xinyong.access.dept_urls")),  # /dept/query/, /dept/access/...
    path("dept/", include("xinyong.ingestion.urls")),
    path("my/annual-reports/", include("xinyong.annualreports.urls")),
    path("my/commitments/", include("xinyong.commitments.urls")),
    path("my/", include("xinyong.access.my_urls")),  # /my/consents/, /my/queries/
    path("my/", include("xinyong.accounts.urls")),  # the subject's own area
    path("search/", include("xinyong.search.urls")),
    path("lists/", include("xinyong.sanctions.urls")),
    path("commitments/", include("xinyong.commitments.public_urls")),
    path("shuanggongshi/", include("xinyong.publicity.urls")),
    path("cases/", include("xinyong.cases.urls")),
    path("agencies/", include("xinyong.agencies.urls")),
    path("tipoffs/", include("xinyong.tipoffs.urls")),
    path("", include("xinyong.redress.urls")),  # /objections/..., /repair/...
    path("", include("xinyong.reports.urls")),  # /reports/..., /verify/
    path("", include("xinyong.annualreports.public_urls")),  # /subjects/<uscc>/annual-reports/
    path("", include("xinyong.portal.urls")),  # home, credit files
]

if settings.XINYONG.get("BENCH_ENDPOINTS"):  # benchmarks only (bench/portal.py, bench/check.py)
    from xinyong.common.bench import FLOOR_PATHS, bare, floor

    read, write = (p.lstrip("/") for p in FLOOR_PATHS)
    urlpatterns[:0] = [path("bench/bare", bare), path(read, floor, {"writes": False}), path(write, floor, {"writes": True})]
