import sys

from budtender_app.cli import main

sys.exit(main())
