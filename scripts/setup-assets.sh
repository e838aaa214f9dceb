#!/usr/bin/env bash
# Fetch KaTeX from the npm registry into site_overrides/assets/katex/ (served by the site
# itself: no CDN). Idempotent: does nothing when the files are there.
set -euo pipefail
KATEX_VERSION="${KATEX_VERSION:-0.16.22}"
dest="site_overrides/assets/katex"
if [[ -f "$dest/katex.min.js" && -f "$dest/contrib/auto-render.min.js" && -d "$dest/fonts" ]]; then
  echo "setup: KaTeX present"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "katex@${KATEX_VERSION}" >/dev/null)
tar -xzf "$tmp"/katex-*.tgz -C "$tmp"
mkdir -p "$dest/contrib"
cp "$tmp/package/dist/katex.min.js" "$tmp/package/dist/katex.min.css" "$dest/"
cp "$tmp/package/dist/contrib/auto-render.min.js" "$dest/contrib/"
rm -rf "$dest/fonts"
# Keep the woff2 fonts only: every browser that runs KaTeX reads them.
mkdir -p "$dest/fonts"
cp "$tmp"/package/dist/fonts/*.woff2 "$dest/fonts/"
sed -i -E 's/,url\(fonts\/[^)]*\.(woff|ttf)\) format\("(woff|truetype)"\)//g' "$dest/katex.min.css"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "setup: KaTeX ${KATEX_VERSION} installed in $dest"
