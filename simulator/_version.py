"""The package version, in a module of its own so that any module can read it without importing
the package's top level (which imports the API, which would import that module again)."""

__version__ = "0.1.0"
