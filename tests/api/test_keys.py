"""API keys of department systems: what the credit centre does with `xinyong apikey`, and what a
department system sees when its key is missing, garbled, revoked, expired or lacks a scope."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.api.conftest import assert_error_shape
from xinyong.common.crypto import decrypt
from xinyong.common.errors import InvalidInput
from xinyong.security.keys import apikey_create, apikey_get, apikey_rotate, forget_key
from xinyong.security.models import ApiKey, AuditEntry
from xinyong.security.services import Actor

BATCHES = "/api/v1/batches"


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


# ------------------------------------------------------------------ services and command
def test_the_secret_is_shown_once_and_never_stored_in_clear(make_key):
    key, token = make_key()
    key_id, secret = token.split(".", 1)
    assert key_id == key.key_id and len(secret) >= 40
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert all(secret not in str(v) for v in stored.values())
    assert decrypt(key.secret_encrypted) == secret  # kept for signed requests (HMAC)
    entry = AuditEntry.objects.get(action="apikey.create")
    assert entry.object_id == key.key_id and secret not in str(entry.detail)
    assert entry.detail["department"] == "220100-GSJ"


def test_unknown_scope_and_empty_name_are_refused(dept):
    with pytest.raises(InvalidInput, match="未知的权限范围"):
        apikey_create(department=dept(), name="系统", scopes=["ingest", "admin"], actor=Actor.system())
    with pytest.raises(InvalidInput, match="名称"):
        apikey_create(department=dept(), name="  ", actor=Actor.system())
    assert ApiKey.objects.count() == 0


def test_command_creates_a_key_whose_token_works(client_for):
    token, notes = run("create", "--dept", "220100-GSJ", "--name", "行政处罚案件系统", "--scopes", "ingest", "--expires-days", "30")
    assert "只显示这一次" in notes
    key = ApiKey.objects.get()
    assert token.startswith(key.key_id + ".") and key.scopes == ["ingest"]
    assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
    assert key.last_used_at is None
    assert client_for(token).get(BATCHES).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert AuditEntry.objects.get(action="apikey.create").actor_label.startswith("命令行")


def test_command_list_filters_by_department_and_shows_status(make_key):
    make_key("220100-GSJ", name="长春系统")
    make_key("220200-GSJ", name="吉林市系统", revoked=True)
    listing, _ = run("list")
    assert "长春系统" in listing and "吉林市系统" in listing and "已吊销" in listing
    only, _ = run("list", "--dept", "220200-GSJ")
    assert "吉林市系统" in only and "长春系统" not in only
    import json

    rows = json.loads(run("list", "--json")[0])
    assert {r["name"]: r["status"] for r in rows} == {"长春系统": "active", "吉林市系统": "revoked"}


def test_command_revoke_stops_the_key_at_once(make_key, client_for):
    key, token = make_key()
    api = client_for(token)
    assert api.get(BATCHES).status_code == 200
    out, _ = run("revoke", key.key_id, "--reason", "系统下线")
    assert "已吊销" in out
    assert_error_shape(api.get(BATCHES), 401, "key_revoked")
    entry = AuditEntry.objects.get(action="apikey.revoke")
    assert entry.purpose == "系统下线"
    run("revoke", key.key_id)  # again: nothing changes, no second entry
    assert AuditEntry.objects.filter(action="apikey.revoke").count() == 1


def test_command_rotate_immediate_gives_a_new_secret_and_the_old_one_stops(make_key, client_for):
    key, old = make_key()
    new, notes = run("rotate", key.key_id, "--immediate")
    assert new != old and new.startswith(key.key_id + ".") and "旧令牌已失效" in notes
    assert_error_shape(client_for(old).get(BATCHES), 401, "signature_invalid")
    assert_error_shape(client_for(old, bearer=True).get(BATCHES), 401, "key_invalid")
    assert client_for(new).get(BATCHES).status_code == 200
    assert AuditEntry.objects.filter(action="apikey.rotate", object_id=key.key_id).count() == 1


def test_command_rotate_keeps_the_old_secret_valid_for_the_overlap(make_key, client_for, settings):
    """The department's systems switch over during the overlap; after it, the old secret is dead."""
    settings.XINYONG = {**settings.XINYONG, "API": {**settings.XINYONG["API"], "ROTATION_OVERLAP_HOURS": 24}}
    key, old = make_key()
    new, notes = run("rotate", key.key_id)
    assert "仍然有效" in notes
    key.refresh_from_db()
    assert timedelta(hours=23) < key.previous_valid_until - timezone.now() <= timedelta(hours=24)
    assert client_for(old).get(BATCHES).status_code == 200  # signed with the old secret
    assert client_for(old, bearer=True).get(BATCHES).status_code == 200
    assert client_for(new).get(BATCHES).status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(previous_valid_until=timezone.now() - timedelta(seconds=1))
    forget_key(key.key_id)  # the overlap's end, faked in the database: read again (the server keeps keys a few seconds)
    assert_error_shape(client_for(old).get(BATCHES), 401, "signature_invalid")
    assert_error_shape(client_for(old, bearer=True).get(BATCHES), 401, "key_invalid")
    assert client_for(new).get(BATCHES).status_code == 200


def test_command_errors_are_clear(make_key):
    with pytest.raises(CommandError, match="未知的部门编码"):
        run("create", "--dept", "999999-XXX", "--name", "系统")
    with pytest.raises(CommandError, match="找不到接口密钥"):
        run("revoke", "xy_nope")
    with pytest.raises(CommandError, match="未知的权限范围"):
        run("create", "--dept", "220100-GSJ", "--name", "系统", "--scopes", "ingest,everything")
    key, _ = make_key(revoked=True)
    with pytest.raises(CommandError, match="已吊销"):
        run("rotate", key.key_id)


def test_rotating_keeps_key_id_scopes_and_department(make_key):
    key, _ = make_key(scopes=("ingest",))
    rotated, token = apikey_rotate(key=apikey_get(key.key_id), actor=Actor.system())
    assert (rotated.key_id, rotated.scopes, rotated.department_id) == (key.key_id, ["ingest"], key.department_id)
    assert token.split(".", 1)[0] == key.key_id


# ------------------------------------------------------------------ authentication on the API
@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "auth_required"),
        ("", "auth_required"),
        ("Bearer", "auth_malformed"),
        ("Basic dXNlcjpwYXNz", "auth_malformed"),
        ("Bearer no-dot-in-this-token", "auth_malformed"),
        ("Bearer xy_0000000000000000.wrongsecretwrongsecretwrongsecret", "key_invalid"),
        ("Bearer 好.坏", "key_invalid"),
    ],
    ids=["missing", "empty", "no-token", "basic", "garbled", "unknown-key", "non-ascii"],
)
def test_missing_or_garbled_credentials_are_401(anon_client, header, code):
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = anon_client.get(BATCHES, headers=headers)
    assert_error_shape(response, 401, code)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_secret_of_a_real_key_is_401_and_says_nothing_about_the_key(make_key, client_for):
    key, token = make_key(revoked=True)
    secret = token.split(".", 1)[1]
    wrong = ("y" if secret[0] == "x" else "x") + secret[1:]  # a different secret, always
    body = assert_error_shape(client_for(key.key_id + "." + wrong, bearer=True).get(BATCHES), 401, "key_invalid")
    assert "吊销" not in body["message"]
    body = assert_error_shape(client_for(key.key_id + "." + wrong).get(BATCHES), 401, "signature_invalid")
    assert "吊销" not in body["message"]


def test_revoked_and_expired_keys_are_401(make_key, client_for):
    assert_error_shape(client_for(make_key(revoked=True)[1]).get(BATCHES), 401, "key_revoked")
    body = assert_error_shape(client_for(make_key(expired=True)[1]).get(BATCHES), 401, "key_expired")
    assert "过期" in body["message"]


def test_a_key_without_the_ingest_scope_is_403(make_key, client_for, penalty_row):
    api = client_for(make_key(scopes=("catalog",))[1])
    body = assert_error_shape(api.get(BATCHES), 403, "scope_missing")
    assert body["fields"] == {"scope": "ingest"}
    assert_error_shape(api.post_json("/api/v1/batches/records", {"item": "penalty.gsj", "records": [penalty_row()]}), 403, "scope_missing")


def test_a_key_of_a_deactivated_department_is_403(make_key, client_for):
    key, token = make_key()
    key.department.active = False
    key.department.save(update_fields=["active"])
    assert_error_shape(client_for(token).get(BATCHES), 403, "department_inactive")


def test_last_used_is_written_at_most_once_a_minute(make_key, client_for):
    key, token = make_key()
    api = client_for(token)
    api.get(BATCHES)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    api.get(BATCHES)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=5))
    forget_key(key.key_id)  # five minutes later, faked in the database: the key is read again
    api.get(BATCHES)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first - timedelta(minutes=5)
