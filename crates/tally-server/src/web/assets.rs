//! The pages' static files, compiled into the binary: our stylesheet and script, and
//! the vendored htmx, its SSE extension and uPlot (versions and licenses in
//! `assets/vendor/README.md`). No CDN, no build step.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

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
        "vendor/htmx-ext-sse.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/htmx-ext-sse.min.js"),
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
