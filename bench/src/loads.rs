//! The load rows: what each sends, over how many connections, and whether the bare baseline
//! serves it too.

use db::list::Cursor;

use crate::wrk::Requests;

/// Three todos from the 50 ms mock upstream per request: concurrency pays when this costs one
/// round trip, not three.
pub const FAN_OUT: &str = "GET /api/todos/summary?ids=1,2,3";
pub const POINT_READ: &str = "GET /api/products/{id}";
pub const API_LIST: &str = "GET /api/products?limit=20&after={random cursor}";
pub const HTML_LIST: &str = "GET /products?after={random cursor} (HTML)";
pub const STATS: &str = "GET /api/products/stats (cached report)";

/// The rows `--scale` runs at 10k and at 1M products.
pub const SCALE_ROWS: [&str; 4] = [POINT_READ, API_LIST, HTML_LIST, STATS];

/// How many different cursors a list row picks from.
const CURSORS: usize = 1_000;

#[derive(Debug)]
pub struct Load {
    pub name: &'static str,
    pub requests: Requests,
    pub connections: u32,
    /// The bare baseline serves it too.
    pub with_bare: bool,
}

/// Every load row, for a table of `n` products with ids `1..=n`.
pub fn all(n: u64, token: &str) -> Vec<Load> {
    vec![
        Load {
            name: "GET /health",
            requests: Requests::Fixed("/health".into()),
            connections: 64,
            with_bare: true,
        },
        Load {
            name: POINT_READ,
            requests: Requests::RandomInt {
                prefix: "/api/products/".into(),
                low: 1,
                high: n,
                suffix: String::new(),
            },
            connections: 64,
            with_bare: true,
        },
        Load {
            name: API_LIST,
            requests: Requests::RandomPath(after_random_rows("/api/products?limit=20&after=", n)),
            connections: 64,
            with_bare: false,
        },
        Load {
            name: HTML_LIST,
            requests: Requests::RandomPath(after_random_rows("/products?after=", n)),
            connections: 64,
            with_bare: false,
        },
        Load {
            name: STATS,
            requests: Requests::Fixed("/api/products/stats".into()),
            connections: 64,
            with_bare: false,
        },
        Load {
            name: FAN_OUT,
            requests: Requests::Fixed("/api/todos/summary?ids=1,2,3".into()),
            connections: 256,
            with_bare: false,
        },
        Load {
            name: "POST /api/products",
            requests: Requests::PostJson {
                path: "/api/products".into(),
                body: r#"{"name":"Bench product","price_cents":1234}"#.into(),
                bearer: token.to_owned(),
            },
            connections: 64,
            with_bare: false,
        },
    ]
}

/// `prefix` + the cursor of a random row in the list's default order (newest first), for rows
/// with at least a full page after them: what a client paging through the list sends.
fn after_random_rows(prefix: &str, n: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(n);
    let low = i64::try_from(21.min(n)).unwrap_or(1);
    let high = i64::try_from(n).unwrap_or(i64::MAX).max(low);
    (0..CURSORS)
        .map(|_| {
            let id = rng.i64(low..=high);
            format!("{prefix}{}", Cursor::new("-id", None, id).encode())
        })
        .collect()
}
