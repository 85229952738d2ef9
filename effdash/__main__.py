import sys

from effdash.cli import main

sys.exit(main())
