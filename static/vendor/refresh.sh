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

# The DOM morph the live pages use (static/js/live.js imports its ES module).
idiomorph_version=0.8.0
(cd "$work" && rm -rf package ./*.tgz &&
  npm pack "idiomorph@$idiomorph_version" --silent >/dev/null && tar xzf ./*.tgz)
dest=static/vendor/idiomorph
rm -rf "$dest" && mkdir -p "$dest"
cp "$work/package/dist/idiomorph.esm.js" "$work/package/LICENSE" "$dest/"
echo "integrity: $(npm view "idiomorph@$idiomorph_version" dist.integrity)"
echo "sha384 of idiomorph.esm.js: $(sha384sum "$dest/idiomorph.esm.js" | cut -d' ' -f1)"

# The door page's QR decoder: ZXing-C++ as WebAssembly, the reader only.
zxing_version=3.1.6
(cd "$work" && rm -rf package ./*.tgz &&
  npm pack "zxing-wasm@$zxing_version" --silent >/dev/null && tar xzf ./*.tgz)
dest=static/vendor/zxing-wasm
rm -rf "$dest" && mkdir -p "$dest/reader"
cp "$work/package/dist/es/share.js" "$work/package/LICENSE" "$dest/"
cp "$work/package/dist/es/reader/index.js" "$work/package/dist/reader/zxing_reader.wasm" "$dest/reader/"
echo "integrity: $(npm view "zxing-wasm@$zxing_version" dist.integrity)"

# axe-core, for the accessibility checks of the browser tests only (never served).
axe_version=4.14.1
(cd "$work" && rm -rf package ./*.tgz &&
  npm pack "axe-core@$axe_version" --silent >/dev/null && tar xzf ./*.tgz)
cp "$work/package/axe.min.js" tests/support/vendor/axe.min.js
cp "$work/package/LICENSE" tests/support/vendor/axe-LICENSE.txt
echo "integrity: $(npm view "axe-core@$axe_version" dist.integrity)"
