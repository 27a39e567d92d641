"""Session fixtures shared by test_site.py and test_practice.py.

The site is built once (a strict build takes seconds) and its pages are visited once, in one headless
Chromium (a visit takes many seconds), and both files' tests read what was found.
"""

import pytest

import test_site


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The real site, built once by `mkdocs build --strict` for the tests that read its pages."""
    site = tmp_path_factory.mktemp("built") / "site"
    result = test_site.build_site(test_site.ROOT, site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site


@pytest.fixture(scope="session")
def site_visit(built_site):
    """Every page of the built site, measured in headless Chromium (test_site.visit_site)."""
    return test_site.visit_site(built_site)
