#!/usr/bin/env bash
# Stages everything the container image needs into .image/, so that `docker build .` needs no
# network access (the Dockerfile only does `COPY .image/ /app/`).
#
# .image/ gets:
#   package.json, package-lock.json            (the root workspace manifest and lockfile)
#   {apps,libs}/<name>/package.json + dist/    (every workspace, compiled)
#   node_modules/                              (production dependencies only, from `npm ci --omit=dev`;
#                                               node_modules/@cinderflow/<name> are npm's workspace
#                                               symlinks to ../../{apps,libs}/<name>, valid inside .image)
#
# Usage: scripts/stage-image.sh [--skip-build]
#   Expects the dev dependencies to be installed already (`npm ci`). Runs `npm run build` first unless
#   --skip-build is given, then fails if any workspace has no dist/.
#   Then: docker build -t cinderflow:local .
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stage="$root/.image"
build=1

for arg in "$@"; do
  case "$arg" in
    --skip-build) build=0 ;;
    -h | --help)
      sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "stage-image: unknown argument: $arg" >&2
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
  echo "stage-image: no workspaces found under libs/ or apps/" >&2
  exit 1
fi

if [[ $build -eq 1 ]]; then
  echo "stage-image: npm run build"
  npm run build
fi

missing=()
for ws in "${workspaces[@]}"; do
  [[ -d "$ws/dist" ]] || missing+=("$ws/dist")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "stage-image: not built (run 'npm run build' first): ${missing[*]}" >&2
  exit 1
fi

echo "stage-image: staging into $stage"
rm -rf "$stage"
mkdir -p "$stage"
cp package.json package-lock.json "$stage/"
for ws in "${workspaces[@]}"; do
  mkdir -p "$stage/$ws"
  cp "$ws/package.json" "$stage/$ws/package.json"
done

# Production dependencies only. No lifecycle scripts: nothing in the production tree needs one, and
# the image must not depend on anything an install script would fetch or compile.
echo "stage-image: npm ci --omit=dev (in .image)"
(
  cd "$stage"
  npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline
)

for ws in "${workspaces[@]}"; do
  cp -a "$ws/dist" "$stage/$ws/dist"
done
# Build bookkeeping that is of no use at run time.
find "$stage/apps" "$stage/libs" -name '*.tsbuildinfo' -type f -delete

# Every workspace package must resolve, inside .image, to its own staged folder.
for ws in "${workspaces[@]}"; do
  name="$(node -p "require('./$ws/package.json').name")"
  link="$stage/node_modules/$name"
  if [[ ! -L "$link" ]]; then
    echo "stage-image: $link is not a workspace symlink" >&2
    exit 1
  fi
  target="$(cd "$link" && pwd -P)"
  if [[ "$target" != "$(cd "$stage/$ws" && pwd -P)" ]]; then
    echo "stage-image: $link points at $target, not at .image/$ws" >&2
    exit 1
  fi
done

echo "stage-image: done: $(du -sh "$stage" | cut -f1) in $stage"
