from tests.api.conftest import _fresh_cache, world  # noqa: F401 - the API tests' actors
