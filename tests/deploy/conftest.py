"""The browser and the socket driver of the page tests, for the deployment tests too."""

from tests.pages.conftest import browser, driver

__all__ = ["browser", "driver"]
