#!/usr/bin/env bash
# Builds FerretDB (the embedded MongoDB-wire database) from its Go module, once per version,
# into a per-user cache so fresh clones and CI runs reuse it. Prints the binary's path last.
#
# A plain `go install …/cmd/ferretdb@VERSION` builds a binary that panics at start, because
# build/version/version.txt is git-ignored upstream and so missing from the module download
# (FerretDB issue #2982). We build from a writable copy of the module source with that file written.
set -euo pipefail

version="${FERRETDB_VERSION:-v1.24.2}"
cache="${LIVELOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livelog}"
bin="$cache/ferretdb-$version/ferretdb"
say() { printf '[ferretdb] %s\n' "$*" >&2; }

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -F "$version" >/dev/null; then
  say "using cached $bin"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { say "Go is needed to build FerretDB $version, and 'go' is not on PATH"; exit 1; }
# FerretDB v1.24's go.mod asks for Go 1.24; Debian bookworm's golang-go is 1.19, which cannot fetch a newer toolchain.
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if ! [ "$go_minor" -ge 24 ] 2>/dev/null; then
  say "Go 1.24 or newer is needed to build FerretDB $version (found $(go env GOVERSION)); see https://go.dev/dl/"
  exit 1
fi

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

say "downloading module github.com/FerretDB/FerretDB@$version (step 1/3)"
(
  cd "$work"
  go mod init livelog.local/ferretdb-fetch >/dev/null 2>&1
  go mod download -json "github.com/FerretDB/FerretDB@$version" > module.json
)
dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$work/module.json")
[ -d "$dir" ] || { say "module download gave no source folder"; exit 1; }

say "copying source and writing build/version/version.txt (step 2/3)"
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
echo "$version" > "$work/src/build/version/version.txt"

say "compiling (step 3/3; a few minutes the first time, cached afterwards)"
mkdir -p "$(dirname "$bin")"
(
  cd "$work/src"
  CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$bin.tmp" ./cmd/ferretdb \
    || CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags=-checklinkname=0 -o "$bin.tmp" ./cmd/ferretdb
)
"$bin.tmp" --version | grep -F "$version" >/dev/null || { say "built binary does not report $version"; exit 1; }
mv "$bin.tmp" "$bin"
say "built $bin"
echo "$bin"
