"""The packaged app's entry point: ``--self-test`` first, anything else to the normal command line.

Dispatching here keeps the self-test in every build whether or not cli/__init__.py knows the flag.
"""

import sys


def main() -> int:
    if sys.stdout is None:  # a windowed Windows build has no console: keep print() working
        import os

        sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - open for the life of the process
    if "--self-test" in sys.argv[1:]:
        from budtender_app.selftest import run_self_test

        return run_self_test(require_keyring="--require-keyring" in sys.argv[1:])
    from budtender_app.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
