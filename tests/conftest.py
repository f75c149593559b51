"""Shared fixtures: the repo, a copy of it to break, an in-process CLI runner, and the
expensive things every package reuses, each built once per session:

- ``sandbox``: the sandbox provider installed in the session's private cache
  (``INFRA_CACHE_DIR``, which the toolkit's own runs use too, so they reuse the install);
- ``prod_plans``: ``infra plan --all --env prod --sandbox`` (with its scan) in a private
  copy of the repo (:mod:`tests.support.baseline`); read it, or copy before changing anything;
- ``checkov_hcl``: checkov over ``modules/`` and ``terraform/`` (:mod:`tests.support.checkov`);
- ``module_tests``: every module's ``terraform test`` through ``infra test`` (:mod:`tests.support.module_tests`);
- ``moto_endpoint``: one moto server over HTTP (or the one ``.ci/run`` started), :mod:`tests.support.moto`.

Tests using them are marked ``slow`` automatically (see ``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_sandbox.install import SandboxInstall
from tests.support import REPO, SCHEMA
from tests.support.baseline import ProdPlans, build_prod_plans
from tests.support.checkov import CheckovJob, CheckovRun
from tests.support.cli import Result
from tests.support.module_tests import ModuleTests, run_module_tests
from tests.support.moto import moto_endpoint_fixture

__all__ = ["REPO", "SCHEMA", "Result"]

# The ``slow`` marker (over ~2 s: real Terraform, checkov, Chromium or moto), set here for
# whole packages and for every test using one of these fixtures; other slow tests carry it.
SLOW_PACKAGES = frozenset({"integration", "aws"})  # every test runs `infra` for real, or talks to moto
SLOW_FIXTURES = frozenset({"sandbox", "prod_plans", "prod_artifacts", "checkov_hcl", "module_tests", "mini_project",
                           "fixture_results", "builtin_ids", "moto_endpoint", "moto", "planned", "root_plan",
                           "offline", "example_plan", "real_stack", "real_stack_skips", "context_results",
                           "policy_floor_results", "reviewed", "applied", "hcl_verdicts", "module_copy"})
TESTS = Path(__file__).resolve().parent


CHECKOV_DIRS = (REPO / "modules", REPO / "terraform")
CHECKOV_JOB = pytest.StashKey[CheckovJob]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start checkov over the HCL now, in the background, if a selected test needs it."""
    if session.config.option.collectonly or not any(
            "checkov_hcl" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    session.config.stash[CHECKOV_JOB] = CheckovJob(CHECKOV_DIRS, Path(tempfile.mkdtemp(prefix="infra-tests-checkov-")))


def pytest_sessionfinish(session: pytest.Session) -> None:
    job = session.config.stash.get(CHECKOV_JOB, None)
    if job is not None:
        job.close()
        shutil.rmtree(job.workdir, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        package = item.path.resolve().relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if package in SLOW_PACKAGES or SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def infra_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's private toolkit cache (INFRA_CACHE_DIR) for every run, subprocesses too.

    Private: a user's cache (warm scan results, a downloaded provider schema) would let tests
    pass on what an earlier session left behind. INFRA_PROVIDER_SCHEMA is unset, so every run
    uses the schema bundled with the package, as a user's install does (Makefile exports one).
    """
    cache = tmp_path_factory.mktemp("infra-cache")
    names = ("INFRA_PROVIDER_SCHEMA", "INFRA_CACHE_DIR")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.pop("INFRA_PROVIDER_SCHEMA", None)
    os.environ["INFRA_CACHE_DIR"] = str(cache)
    from toolkit.paths import provider_schema

    assert provider_schema().path == SCHEMA.resolve(), provider_schema()
    yield cache
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


moto_endpoint = moto_endpoint_fixture()


@pytest.fixture(scope="session")
def sandbox(infra_cache: Path) -> SandboxInstall:
    """The sandbox provider installed in the session cache (built once per session)."""
    from infra_sandbox.install import install

    assert SCHEMA.is_file(), f"the bundled provider schema is missing: {SCHEMA}"
    return install(SCHEMA, infra_cache)


@pytest.fixture(scope="session")
def prod_plans(sandbox: SandboxInstall, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdPlans]:
    """The real sandbox plans (and scan) of every prod region, shared read-only by the session."""
    plans = build_prod_plans(tmp_path_factory.mktemp("prod-plans"))
    yield plans
    plans.assert_untouched()


@pytest.fixture(scope="session")
def checkov_hcl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, CheckovRun]]:
    """checkov over modules/ and terraform/ once: ``{directory: CheckovRun}`` (started at collection)."""
    job = request.config.stash.get(CHECKOV_JOB, None) or CheckovJob(CHECKOV_DIRS, tmp_path_factory.mktemp("checkov"))
    try:
        yield job.results()
    finally:
        job.close()


@pytest.fixture(scope="session")
def module_tests(sandbox: SandboxInstall, tmp_path_factory: pytest.TempPathFactory) -> ModuleTests:
    """``infra test --json`` over the repo once: every module's terraform test with the sandbox."""
    return run_module_tests(tmp_path_factory.mktemp("module-tests"))


@pytest.fixture
def infra(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Call the CLI in-process: ``infra("render", "us-east", ...) -> Result``."""
    from toolkit.cli import run

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("INFRA_ENV", raising=False)

    def call(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield call


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A private copy of environments/ (enough for config and render tests)."""
    dst = tmp_path / "proj"
    shutil.copytree(REPO / "environments", dst / "environments")
    return dst
