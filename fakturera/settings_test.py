"""The test suite's settings (pyproject.toml, [tool.pytest.ini_options]): the development
configuration, as `make run` has it. Django's test runner turns DEBUG off again while the
tests run; what FAKTURERA_DEBUG=1 keeps is plain HTTP without redirects or secure-only
cookies, and the development SECRET_KEY. It is set in the environment, so the processes a
test starts (workers, gunicorn) read the same; a test of the production configuration
gives its subprocess an environment of its own.
"""

import os

from django.conf import global_settings

os.environ["FAKTURERA_DEBUG"] = "1"

from fakturera.settings import *  # noqa: F403

# The suite creates and logs in some thousand users. Django's default hasher (PBKDF2, a
# million iterations) spends about a quarter of a second on each hash on this machine, by
# design; the tests need a password that works, not one that resists cracking. MD5 first
# (the hasher Django's testing documentation names for this), the production list after it,
# so a hash made by a subprocess on the production settings still checks.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings.PASSWORD_HASHERS]
