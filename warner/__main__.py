import sys

from warner.cli import main

sys.exit(main())
