#!/usr/bin/env bash
# Debian packages trustwatch needs outside Python. Installs them with apt-get when run as root;
# otherwise names each missing package and how to install it, and fails.
set -euo pipefail

missing=()
# PostgreSQL server binaries: the test suite runs the store against a real PostgreSQL.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# Media (issue 4): OCR with Vietnamese and English, ffmpeg for audio/video, espeak-ng and a font
# with Vietnamese glyphs to make the test and demo media.
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata >/dev/null 2>&1 || missing+=(tesseract-ocr-vie)
ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || missing+=(tesseract-ocr-eng)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# Web UI browser tests (issue 8): Playwright drives Debian's Chromium; it never downloads a browser.
command -v chromium >/dev/null || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "error: missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 3
fi
