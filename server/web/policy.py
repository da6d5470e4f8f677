"""The Content Security Policy of every page, and the one page that needs more."""

from __future__ import annotations

_BASE = (
    "default-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CSP = "; ".join(("script-src 'self'", *_BASE))
# The door's QR decoder (zxing-wasm, vendored) is WebAssembly, which a page may compile only
# with 'wasm-unsafe-eval'; it still runs no script that is not ours.
DOOR_CSP = "; ".join(("script-src 'self' 'wasm-unsafe-eval'", "media-src 'self' blob:", *_BASE))
