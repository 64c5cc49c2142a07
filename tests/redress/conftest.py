from tests.cases.conftest import account, clock, firm, staff, upload  # noqa: F401 (fixtures)
