"""`python -m generator` runs the CLI (what Netlify's build command uses)."""

import sys

from generator.cli import main

sys.exit(main())
