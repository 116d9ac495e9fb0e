"""Only what pyproject.toml cannot say: install the top-level resources/ as rnnviz/resources."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["rnnviz", "rnnviz.*"]) + ["rnnviz.resources"],
    package_dir={"rnnviz.resources": "resources"},
)
