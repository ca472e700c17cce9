#!/usr/bin/env bash
# Builds the container image `cinderflow:local` that every service in docker-compose.yml runs.
# Compiles on the host and stages everything the image needs into .image/, so that `docker build`
# needs no network access (the Dockerfile only does `COPY .image/ /app/`), then builds the image.
#
# .image/ gets:
#   package.json, package-lock.json            (the root workspace manifest and lockfile)
#   {apps,libs}/<name>/package.json + dist/    (every workspace, compiled)
#   node_modules/                              (production dependencies only, from `npm ci --omit=dev`,
#                                               without type declarations, source maps and docs;
#                                               node_modules/@cinderflow/<name> are npm's workspace
#                                               symlinks to ../../{apps,libs}/<name>, valid inside .image)
#
# Usage: scripts/build-image.sh [--skip-build] [--stage-only]      (npm run image)
#   Expects the dev dependencies to be installed already (`npm ci`). Runs `npm run build` first
#   unless --skip-build is given, then fails if any workspace has no dist/. Ends with
#   `docker build -t cinderflow:local .` (podman where there is no docker CLI) unless --stage-only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stage="$root/.image"
build=1
image=1

for arg in "$@"; do
  case "$arg" in
    --skip-build) build=0 ;;
    --stage-only) image=0 ;;
    -h | --help)
      sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-image: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

cd "$root"

# The workspaces, as the root package.json declares them ("libs/*", "apps/*"): every such folder
# holding a package.json.
workspaces=()
for dir in libs/*/ apps/*/; do
  dir="${dir%/}"
  [[ -f "$dir/package.json" ]] && workspaces+=("$dir")
done
if [[ ${#workspaces[@]} -eq 0 ]]; then
  echo "build-image: no workspaces found under libs/ or apps/" >&2
  exit 1
fi

if [[ $build -eq 1 ]]; then
  echo "build-image: npm run build"
  npm run build
fi

missing=()
for ws in "${workspaces[@]}"; do
  [[ -d "$ws/dist" ]] || missing+=("$ws/dist")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "build-image: not built (run 'npm run build' first): ${missing[*]}" >&2
  exit 1
fi

echo "build-image: staging into $stage"
rm -rf "$stage"
mkdir -p "$stage"
cp package.json package-lock.json "$stage/"
for ws in "${workspaces[@]}"; do
  mkdir -p "$stage/$ws"
  cp "$ws/package.json" "$stage/$ws/package.json"
done

# Production dependencies only. --omit=optional also drops the optional peers that only dev tools
# need (grpc, babel macros, ...) and pg-cloudflare. No lifecycle scripts: nothing in the production
# tree needs one, and the image must not depend on anything an install script would fetch or compile.
echo "build-image: npm ci --omit=dev --omit=optional (in .image)"
(
  cd "$stage"
  npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --prefer-offline
)

for ws in "${workspaces[@]}"; do
  cp -a "$ws/dist" "$stage/$ws/dist"
done
# What Node never loads at run time: type declarations, source maps, docs, build bookkeeping, test
# helpers (dist/testing) and TypeORM's browser build (only bundlers read it).
find "$stage" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
  -o -name '*.md' -o -name '*.markdown' -o -name '*.tsbuildinfo' \) -delete
find "$stage/apps" "$stage/libs" -type d -path '*/dist/testing' -prune -exec rm -rf {} +
rm -rf "$stage/node_modules/typeorm/browser"

# Every workspace package must resolve, inside .image, to its own staged folder.
for ws in "${workspaces[@]}"; do
  name="$(node -p "require('./$ws/package.json').name")"
  link="$stage/node_modules/$name"
  if [[ ! -L "$link" ]]; then
    echo "build-image: $link is not a workspace symlink" >&2
    exit 1
  fi
  target="$(cd "$link" && pwd -P)"
  if [[ "$target" != "$(cd "$stage/$ws" && pwd -P)" ]]; then
    echo "build-image: $link points at $target, not at .image/$ws" >&2
    exit 1
  fi
done

echo "build-image: staged $(du -sh "$stage" | cut -f1) in $stage"

if [[ $image -eq 1 ]]; then
  engine="$(command -v docker || command -v podman || true)"
  if [[ -z "$engine" ]]; then
    echo "build-image: no docker or podman CLI: build with 'docker compose build'" >&2
    exit 1
  fi
  echo "build-image: $(basename "$engine") build -t cinderflow:local ."
  "$engine" build -t cinderflow:local "$root"
fi
