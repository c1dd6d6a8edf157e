#!/usr/bin/env bash
# Builds the stateful-sdk .deb from a staged install (make deb runs it):
#   scripts/build-deb.sh ROOT VERSION OUTDIR
# ROOT holds `make install PREFIX=/usr DESTDIR=ROOT`. Adds what Debian policy asks of a binary
# package: stripped ELF files, gzipped man pages and changelog, a copyright file, md5sums, and a
# control file whose Depends come from dpkg-shlibdeps (the libraries the binaries really link).
# Prints the path of the .deb on the last line.
set -euo pipefail
root=${1:?root}; version=${2:?version}; out=${3:?outdir}
here=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
pkg=stateful-sdk
doc=$root/usr/share/doc/$pkg

# ELF files: strip (the .deb carries no debug info; build with `make` for that).
find "$root" -type f \( -path '*/bin/*' -o -name '*.so' \) -exec sh -c \
  'for f; do file -b "$f" | grep -q ELF && strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"; done' sh {} +
# Man pages and the changelog compressed, reproducibly (-n: no name or time stamp).
find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -9nf {} +
install -d "$doc"
gzip -9nc "$here/packaging/changelog" > "$doc/changelog.gz"
install -m 644 "$here/packaging/copyright" "$doc/copyright"
# LICENSE is in copyright already (Debian keeps license texts there, not as separate files).
rm -f "$doc/LICENSE"

# Depends: ask dpkg-shlibdeps, which needs a debian/control to read; run it in a scratch dir.
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" > "$scratch/debian/control"
elfs=()
while IFS= read -r f; do elfs+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done < <(
  find "$root" -type f \( -path '*/bin/*' -o -name '*.so' \) -exec sh -c 'file -b "$1" | grep -q ELF && echo "$1"' sh {} \;)
depends=$(cd "$scratch" && dpkg-shlibdeps -O -e"${elfs[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" -e "s|@SIZE@|$size|" \
  "$here/packaging/control.in" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' md5sum) \
  > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +
mkdir -p "$out"
deb="$out/${pkg}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
