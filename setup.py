"""Packaging beyond what pyproject.toml can say: the shipped scenario library.

``scenarios/`` stays where users look for it in a checkout, and is built into the package as
``simulator.library`` (package data, mapped in pyproject.toml), so that an installed wheel has
the scenarios too (``overdue bench`` runs the baseline). pyproject.toml cannot list a mapped
package beside automatic discovery, hence this file.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["simulator*"]), "simulator.library"])
