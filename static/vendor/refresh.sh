#!/usr/bin/env bash
# Re-vendors the font from the npm registry (see VENDORED.md). Needs node/npm; run from the repo root.
set -euo pipefail
version=5.3.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@fontsource/be-vietnam-pro@$version" --silent >/dev/null && tar xzf ./*.tgz)
dest=static/vendor/be-vietnam-pro
rm -rf "$dest" && mkdir -p "$dest/files"
for weight in 400 600 700 800; do
  for subset in vietnamese latin-ext latin; do
    cp "$work/package/files/be-vietnam-pro-$subset-$weight-normal.woff2" "$dest/files/"
  done
  sed -e "s/, url([^)]*\.woff) format('woff')//" "$work/package/$weight.css"
done > "$dest/be-vietnam-pro.css"
cp "$work/package/LICENSE" "$dest/"
echo "integrity: $(npm view "@fontsource/be-vietnam-pro@$version" dist.integrity)"

# The whole font as TTF, for the PDF minutes (Typst takes TTF/OTF, not woff2).
ttf_version=0.4.1
(cd "$work" && rm -rf package ./*.tgz &&
  npm pack "@expo-google-fonts/be-vietnam-pro@$ttf_version" --silent >/dev/null && tar xzf ./*.tgz)
dest=static/vendor/be-vietnam-pro-ttf
rm -rf "$dest" && mkdir -p "$dest"
for style in 400Regular 400Regular_Italic 700Bold 700Bold_Italic; do
  cp "$work/package/$style/BeVietnamPro_$style.ttf" "$dest/"
done
cp "$work/package/LICENSE_FONT" "$dest/OFL.txt"
echo "integrity: $(npm view "@expo-google-fonts/be-vietnam-pro@$ttf_version" dist.integrity)"
