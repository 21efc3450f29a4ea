#!/usr/bin/env bash
# Extracts the real Keras model files that are too large (or licensed too restrictively) to keep in the
# repository from the Debian packages that ship them, into test/fixtures/keras-real/fetched/ (ignored by
# git). test/import/real-keras-files.test.ts skips the tests of a file that is not there.
#
#   invesalius (Debian bookworm, 3.1.99998-4, GPL-2): /usr/share/invesalius/ai/brain_mri_t1/model.h5,
#   9.6 MB, written by standalone Keras 2.2.4 with model.save() (a 3-D U-Net: Conv3D, Conv3DTranspose).
#
# Needs apt-get (Debian's package mirror) and dpkg-deb; downloads the 44 MB package once.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=test/fixtures/keras-real/fetched
target="$dest/invesalius-brain_mri_t1.h5"
sha256=575a85d71aaf8de9c990a01bed7c0afc25edd8a07b52f3dbfc079c0f76be6116
inner=./usr/share/invesalius/ai/brain_mri_t1/model.h5

if [ -f "$target" ] && echo "$sha256  $target" | sha256sum --check --status; then
  echo "fetch-keras-fixtures: $target is present"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

download() { (cd "$work" && apt-get download -q invesalius >/dev/null); }
if ! download; then
  apt-get update -q >/dev/null
  download
fi

deb="$(ls "$work"/invesalius_*.deb)"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$inner" >"$work/model.h5"
if ! echo "$sha256  $work/model.h5" | sha256sum --check --status; then
  echo "fetch-keras-fixtures: $(basename "$deb") holds a different $inner than the one the tests expect (sha256 $sha256)" >&2
  exit 1
fi
mkdir -p "$dest"
mv "$work/model.h5" "$target"
echo "fetch-keras-fixtures: wrote $target from $(basename "$deb")"
