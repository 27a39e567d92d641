"""Session fixtures and test order, shared by the test files.

- The site is built once (a strict build takes seconds) and its pages are visited once, in one headless
  Chromium (a visit takes many seconds); test_site.py and test_practice.py read what was found.
- The lab's two quick runs (`python mlp.py --quick`, test_lab.two_quick_runs) start in the background
  before the first test, and the tests that read them run last: the other tests run meanwhile, on the
  machine's second core, instead of waiting for them. So does the run of the lesson's tests inside
  Pyodide under Node (test_live.pyodide_tests). The live blocks' browser visits (test_live.live_visit,
  and figures_visit) go last, after them: they measure how long the page takes to run its first block
  and to draw its first figure.
"""

import pytest

import test_lab
import test_live
import test_site

QUICK_RUNS = "two_quick_runs"  # test_lab.py's fixture
PYODIDE_TESTS = "pyodide_tests"  # test_live.py's fixture
BACKGROUND = (QUICK_RUNS, PYODIDE_TESTS)  # what runs in the background; the tests that read it go last


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


LIVE_VISITS = ("live_visit", "figures_visit")  # test_live.py's browser visits, which measure load times


def pytest_collection_modifyitems(items):
    """The tests that read the background runs go after the others (which keep their order), and the
    live blocks' browser visits go last, when the background runs are over: they measure load times."""
    def order(item):
        names = set(getattr(item, "fixturenames", ()))
        return 2 if names & set(LIVE_VISITS) else int(bool(names & set(BACKGROUND)))

    items.sort(key=order)


def in_background(request, tmp_path_factory, reader, start):
    """start(a fresh folder), begun before the first test if a selected test uses the fixture `reader`
    (else None); stopped with the session if it is still going."""
    if not any(reader in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    run = start(tmp_path_factory.mktemp(reader))
    yield run
    run.stop()


@pytest.fixture(scope="session", autouse=True)
def quick_runs(request, tmp_path_factory):
    """The two quick runs (test_lab.QuickRuns), in the background."""
    yield from in_background(request, tmp_path_factory, QUICK_RUNS, test_lab.QuickRuns)


@pytest.fixture(scope="session", autouse=True)
def pyodide_run(request, tmp_path_factory):
    """The lesson's tests inside Pyodide (test_live.PyodideTests), in the background."""
    yield from in_background(request, tmp_path_factory, PYODIDE_TESTS, test_live.PyodideTests)
