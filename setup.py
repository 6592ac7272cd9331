"""Packaging beyond pyproject.toml: the shipped machines in hwconfigs/ (at the repository root) are installed
as the package ``accelsim.hwconfigs`` (its YAML files as package data), so an installed accelsim finds them
(accelsim.hardware.shipped)."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["accelsim*"]) + ["accelsim.hwconfigs"],
      package_dir={"accelsim.hwconfigs": "hwconfigs"})
