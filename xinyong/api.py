"""The REST API (django-ninja): one NinjaAPI, one error shape {"code", "message", "fields"},
OpenAPI document at /api/openapi.json and its browsable form at /api/docs.

Each app contributes a router from its own api.py.
"""

from ninja import NinjaAPI

api = NinjaAPI(
    title="信用吉林 数据交换接口",
    version="1",
    description="吉林省公共信用信息平台：部门业务系统报送信用信息（归集）等接口。",
    docs_url="/docs",
    urls_namespace="api",
)
