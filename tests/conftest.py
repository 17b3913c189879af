"""Shared pytest setup: import the working tree as the collection."""

from tests.utils.devpath import ensure_dev_path

ensure_dev_path()
