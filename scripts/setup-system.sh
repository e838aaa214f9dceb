#!/usr/bin/env bash
# Install the Debian packages mathreel needs, skipping those already present.
# Idempotent: with everything installed it only runs dpkg-query once.
set -euo pipefail

PACKAGES=(
  # manim's pycairo and manimpango build from source
  build-essential pkg-config libcairo2-dev libpango1.0-dev python3-dev
  # Manim's TeX template and pandoc's PDF template
  texlive-latex-base texlive-latex-recommended texlive-latex-extra
  texlive-fonts-recommended lmodern dvisvgm fonts-dejavu-core
  # notes: Markdown -> LaTeX/PDF; pdftotext/pdftoppm for checks
  pandoc poppler-utils
  # browser tests and offline assets
  chromium nodejs npm
  # sandbox for model-written scenes
  bubblewrap
  # Manim's OpenGL renderer on a server: a virtual X display and Mesa's software GL
  xvfb libgl1-mesa-dri
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$pkg")
done

# A virtualenv needs venv and ensurepip; Debian's python3 ships them in python3-venv.
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

# node/npm may come from elsewhere (nvm, a tarball): accept any working npm.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for pkg in "${missing[@]}"; do
    [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]} == 0)); then
  echo "setup: system packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root, or install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
