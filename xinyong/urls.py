from django.contrib import admin
from django.urls import path

admin.site.site_header = "信用吉林 · 信用中心管理"
admin.site.site_title = "信用吉林管理"
admin.site.index_title = "平台管理"

urlpatterns = [
    path("admin/", admin.site.urls),
]
