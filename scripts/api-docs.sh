#!/usr/bin/env bash
# Builds the API reference from the SDK's JSDoc with TypeDoc (a devDependency): one page per
# public class, interface and type, into docs/api/ (git-ignored) or OUT. Options are in
# typedoc.json; TypeDoc's warnings (a type the pages reference but do not include, a broken
# {@link}) are printed, and fail the build with --strict.
#   scripts/api-docs.sh [--strict] [OUT]      then open OUT/index.html (default docs/api)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
strict=()
if [ "${1:-}" = --strict ]; then strict=(--treatWarningsAsErrors); shift; fi
out=${1:-docs/api}
if ! command -v node >/dev/null 2>&1 || [ ! -x node_modules/.bin/typedoc ]; then
  # shellcheck source=scripts/toolchain.sh
  source scripts/toolchain.sh
  linuxnet_toolchain
fi
node_modules/.bin/typedoc --out "$out" "${strict[@]}"
echo "API reference in $out/index.html"
