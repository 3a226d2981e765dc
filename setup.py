"""A shim: the package is described in pyproject.toml (setuptools reads it); kept for tools that call setup.py."""

from setuptools import setup

setup()
