"""Helpers of the commitment tests: subjects as registration leaves them, actors."""

from __future__ import annotations

import random
from datetime import date

from xinyong.common.crypto import encrypt
from xinyong.common.masking import mask_id_number
from xinyong.demo.codes import make_id_number, make_uscc
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

_rng = random.Random(2019035)


def enterprise(name: str = "长春市承诺建材有限公司", *, region: str = "220102", legal_rep: str = "李四") -> Subject:
    return Subject.objects.create(
        kind="enterprise", uscc=make_uscc(_rng, region=region), name=name, name_key=name, region=region, status="存续",
        registered_on=date(2020, 3, 1), registered=True, legal_rep=legal_rep,
    )


def person(name: str = "王小明", *, region: str = "220102") -> tuple[Subject, str]:
    from xinyong.subjects.identifiers import id_lookup_hash

    number = make_id_number(_rng, region=region)
    subject = Subject.objects.create(
        kind="individual", id_hash=id_lookup_hash(number), id_encrypted=encrypt(number), id_masked=mask_id_number(number),
        name=name, name_key=name, region=region,
    )
    return subject, number


def officer(dept) -> Actor:
    return Actor("user", f"经办人@{dept.code}", department_id=dept.id)


def applicant(subject) -> Actor:
    return Actor("user", f"主体账户-{subject.id}")

