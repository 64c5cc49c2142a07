"""Identity resolution: codes are exact; a name alone is matched only exactly after
normalization and only when it designates one subject; nothing is attached to a guessed subject."""

from __future__ import annotations

import pytest

from xinyong.common.crypto import decrypt
from xinyong.common.normalize import normalize_name
from xinyong.subjects.models import Subject, SubjectIdentifier, SubjectName
from xinyong.subjects.services import SubjectRef, SubjectResolver

pytestmark = pytest.mark.django_db

NAME = "吉林省长白山（集团）有限公司"


def resolve(*refs: SubjectRef):
    """Resolve, then store the subjects the rows name (what the pipeline does for stored rows)."""
    resolver = SubjectResolver(source="test")
    out = resolver.resolve(list(refs))
    pending = [(r, res) for r, res in zip(refs, out, strict=True) if res.pending]
    for (_, res), sid in zip(pending, resolver.commit([r for r, _ in pending]), strict=True):
        res.subject_id = sid
    return out


def org(name: str, code: str, **kw) -> Subject:
    return Subject.objects.create(kind="enterprise", uscc=code, name=name, name_key=normalize_name(name), region=code[2:8], **kw)


def test_resolving_alone_creates_nothing(uscc, id_number):
    resolver = SubjectResolver(source="test")
    org_res, person_res = resolver.resolve([SubjectRef(name=NAME, uscc=uscc()), SubjectRef(name="王小明", category="自然人", id_number=id_number())])
    assert (org_res.pending, org_res.subject_id, org_res.kind) == (True, None, "enterprise")
    assert (person_res.pending, person_res.kind) == (True, "individual")
    assert Subject.objects.count() == 0


def test_a_new_uscc_creates_the_subject_once(uscc):
    code = uscc("220581", "12")
    first, again = resolve(SubjectRef(name=NAME, uscc=code), SubjectRef(name="另一个名称", uscc=code))
    assert first.subject_id == again.subject_id
    subject = Subject.objects.get()
    assert (subject.kind, subject.region, subject.name) == ("public_institution", "220581", NAME)
    assert SubjectIdentifier.objects.get().value == code[8:17]  # its organization code maps to it
    assert SubjectName.objects.get().name == NAME


def test_a_name_written_differently_matches_exactly_one_subject(uscc):
    subject = org(NAME, uscc())
    for typed in ("吉林省长白山(集团)有限公司", "吉林省长白山 （集团） 有限公司", "吉林省长白山〔集团〕有限公司"):
        (res,) = resolve(SubjectRef(name=typed))
        assert res.subject_id == subject.id, typed


def test_a_similar_name_is_never_guessed(uscc):
    org(NAME, uscc())
    (res,) = resolve(SubjectRef(name="吉林省长白山集团有限公司"))  # brackets dropped: another name
    assert res.subject_id is None
    assert res.review_reason == "仅有名称，未找到名称完全一致的主体"


def test_two_subjects_with_the_same_name_go_to_review_with_candidates(uscc):
    a, b = org(NAME, uscc()), org("吉林省长白山(集团)有限公司", uscc())
    (res,) = resolve(SubjectRef(name=NAME))
    assert res.subject_id is None
    assert res.review_reason == "仅有名称，有2个同名主体"
    assert {c["id"] for c in res.candidates} == {a.id, b.id}


def test_a_former_name_still_matches(uscc):
    subject = org("吉林省新名称有限公司", uscc())
    SubjectName.objects.create(subject=subject, name=NAME, name_key=normalize_name(NAME), source="test")
    (res,) = resolve(SubjectRef(name=NAME))
    assert res.subject_id == subject.id


def test_individuals_are_never_matched_by_name(id_number):
    (person,) = resolve(SubjectRef(name="王小明", category="自然人", id_number=id_number()))
    assert person.subject_id is not None
    (by_name,) = resolve(SubjectRef(name="王小明"))
    assert by_name.subject_id is None
    (no_number,) = resolve(SubjectRef(name="王小明", category="自然人"))
    assert (no_number.subject_id, no_number.review_reason) == (None, "自然人未提供证件号码")


def test_an_individual_is_stored_hashed_encrypted_and_masked(id_number):
    number = id_number("220104")
    resolve(SubjectRef(name="王小明", category="自然人", id_number=number))
    person = Subject.objects.get()
    assert person.uscc is None and person.region == "220104"
    assert number not in (person.id_hash, person.id_encrypted, person.id_masked, person.name_key)
    assert decrypt(person.id_encrypted) == number
    assert person.display_code == number[:6] + "********" + number[-4:]


def test_a_legacy_code_given_beside_the_uscc_maps_to_it(uscc):
    code = uscc()
    (first,) = resolve(SubjectRef(name=NAME, uscc=code, legacy=[("reg_no", "220100000123456")]))
    (later,) = resolve(SubjectRef(name="名称不同也无妨", legacy=[("reg_no", "220100000123456")]))
    assert later.subject_id == first.subject_id
    (unknown,) = resolve(SubjectRef(name=NAME, legacy=[("reg_no", "220100000999999")]))
    assert (unknown.subject_id, unknown.review_reason) == (None, "所填代码尚未对应到统一社会信用代码")
