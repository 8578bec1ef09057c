//! The pages' static files, compiled into the binary: our stylesheet and script, and
//! the vendored htmx and uPlot (versions and licenses in
//! `assets/vendor/README.md`). No CDN, no build step.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A fingerprint of our own script and stylesheet, added to their addresses
/// (`/assets/app.js?v=…`): a browser that cached the files of an older Tally for a day
/// fetches the new ones at once after an upgrade.
pub const VERSION: &str = {
    const HASH: u64 = fnv(include_bytes!("../../assets/app.js"))
        ^ fnv(include_bytes!("../../assets/app.css")).rotate_left(1);
    const DIGITS: [u8; 16] = hex(HASH);
    match std::str::from_utf8(&DIGITS) {
        Ok(text) => text,
        Err(_) => "0",
    }
};

/// FNV-1a, 64 bits: enough to tell two versions of a file apart.
const fn fnv(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const fn hex(value: u64) -> [u8; 16] {
    let digits = b"0123456789abcdef";
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = digits[((value >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

/// Each file: its path under `/assets/`, content type, and bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/app.js"),
    ),
    (
        "vendor/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/htmx.min.js"),
    ),
    (
        "vendor/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/uPlot.iife.min.js"),
    ),
    (
        "vendor/uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/vendor/uPlot.min.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/favicon.svg"),
    ),
];

/// `GET /assets/{path}`: a file, cached by the browser for a day.
pub async fn serve(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
