"""Root conftest: loads the bench fixtures for the compliance suites and pytester for the
harness's own tests (pytest only honours ``pytest_plugins`` in the root conftest)."""

pytest_plugins = ["pytester", "fixtures.bench", "fixtures.dut"]
