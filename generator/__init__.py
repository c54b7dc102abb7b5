"""giving: a static site generator for blogs that serve their readers."""

__version__ = "0.1.0"
