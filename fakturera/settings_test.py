"""The test suite's settings (pyproject.toml, [tool.pytest.ini_options]): the development
configuration, as `make run` has it. Django's test runner turns DEBUG off again while the
tests run; what FAKTURERA_DEBUG=1 keeps is plain HTTP without redirects or secure-only
cookies, and the development SECRET_KEY. It is set in the environment, so the processes a
test starts (workers, gunicorn) read the same; a test of the production configuration
gives its subprocess an environment of its own.
"""

import os

os.environ["FAKTURERA_DEBUG"] = "1"

from fakturera.settings import *  # noqa: F403
