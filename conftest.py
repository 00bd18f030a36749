"""Root conftest: pytester for the harness's own tests (pytest only honours
``pytest_plugins`` in the root conftest). The harness's plugin, with the bench and unit
fixtures the compliance suites use, is loaded by its ``pytest11`` entry point."""

pytest_plugins = ["pytester"]
