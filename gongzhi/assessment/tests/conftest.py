"""The cases tests' desk (territory, handling bodies, people) serves the assessment tests too."""

from gongzhi.cases.tests.conftest import desk, make_case  # noqa: F401
