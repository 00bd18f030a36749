"""``python -m harness.cli``: the ``hil`` command."""

from harness.cli.main import main

raise SystemExit(main())
