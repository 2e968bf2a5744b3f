#!/usr/bin/env bash
# Installs the Debian packages Sketch needs, if any is missing (as root, or with sudo); with --test,
# also those only the tests need (headless Chromium and its WebDriver, for the page of `sketch serve`).
set -euo pipefail
packages=(libopenblas-dev libhdf5-dev libpng-dev pkg-config hdf5-tools hershey-fonts-data wordnet-base tesseract-ocr tesseract-ocr-eng python3-venv openmpi-bin libopenmpi-dev libcairo2-dev poppler-utils)
if [ "${1:-}" = "--test" ]; then packages+=(chromium chromium-driver); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
