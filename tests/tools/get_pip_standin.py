"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip.py from a host these machines cannot reach. It only
needs the script to put pip (at the pinned version) into a fresh venv, which
ensurepip + PyPI do as well. Copied into ~/.ansible/test/cache/ by tests/tools/sanity.sh.
"""

import subprocess
import sys

# get-pip.py understands these; pip itself does not.
UNSUPPORTED = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", *[a for a in sys.argv[1:] if a not in UNSUPPORTED]])
