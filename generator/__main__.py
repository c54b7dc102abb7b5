"""`python -m generator` runs the CLI (what Netlify's build command uses)."""

from generator.cli import main

main()
