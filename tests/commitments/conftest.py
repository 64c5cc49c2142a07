from tests.cases.conftest import clock, firm, upload  # noqa: F401 (fixtures of the repair test)
