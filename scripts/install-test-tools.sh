#!/usr/bin/env bash
# Installs the Python tools the tests check Sketch's output with into a virtual environment,
# .build/test-tools/venv (made once; run again to repair it): pygcode, a G-code parser nobody here
# wrote, and selenium, the WebDriver client that drives `sketch serve`'s page in headless Chromium
# (Debian's chromium and chromium-driver: `scripts/install-deps.sh --test`). Called by `make test`
# and, when the venv is missing, by the tests that need it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/test-tools/venv
packages=(pygcode==0.2.1 selenium==4.27.1)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pygcode, selenium" 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || { echo "error: python3 is not installed (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" || { echo "error: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" \
  || { echo "error: pip could not install ${packages[*]} into $venv (is PyPI reachable?)" >&2; exit 1; }
