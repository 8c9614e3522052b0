//! The request metrics `finish` records when they are on: `http_requests_total` and
//! `http_request_duration_seconds` by method, route and status, and `http_requests_in_flight`.
//!
//! Looking a metric up through the `metrics` macros builds its key (three label strings) and
//! finds it in the recorder's registry: on `/health` that cost 13 % of the throughput in
//! `just bench`. So each thread keeps the handles it has used, by route, method and status (a
//! bounded set: the routes, the standard methods, the statuses). A route is found by the address
//! of its label (axum hands every request of a route the same `Arc<str>`), checked against the
//! text, so a request after the first of its kind costs two short searches, a counter increment
//! and a histogram sample.

use std::{
    cell::RefCell,
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    time::Instant,
};

use axum::{
    extract::MatchedPath,
    http::{Method, Request, StatusCode},
};
use metrics::{Counter, Gauge, Histogram};

/// The handles this thread has used. The recorder is installed before the first request (the
/// app installs it when it binds `APP_METRICS_ADDR`, before it builds the router), so none of
/// these is a no-op handle from before.
#[derive(Default)]
struct Handles {
    in_flight: Option<Gauge>,
    /// By the address of the route's label.
    routes: HashMap<usize, Route, BuildHasherDefault<AddressHasher>>,
}

struct Route {
    label: Box<str>,
    /// By method and status; a route sees a handful.
    series: Vec<(&'static str, u16, Counter, Histogram)>,
}

/// Addresses are already well spread: hashing one is taking it.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Labels are at least 8-byte aligned: the low bits carry nothing.
        self.0 = (n as u64) >> 3;
    }
}

thread_local! {
    static HANDLES: RefCell<Handles> = RefCell::new(Handles::default());
}

fn in_flight(change: f64) {
    HANDLES.with_borrow_mut(|h| {
        h.in_flight
            .get_or_insert_with(|| metrics::gauge!("http_requests_in_flight"))
            .increment(change);
    });
}

/// A request being measured: its labels and clock, and its place in the in-flight gauge.
#[derive(Debug)]
pub(crate) struct Measured {
    method: &'static str,
    route: Option<MatchedPath>,
    started: Instant,
}

impl Measured {
    pub(crate) fn begin<B>(request: &Request<B>) -> Self {
        in_flight(1.0);
        Self {
            method: method_label(request.method()),
            route: request.extensions().get::<MatchedPath>().cloned(),
            started: Instant::now(),
        }
    }

    /// `folder`: the route label of the folder of files that answered, if one did (a nested
    /// service has no matched route).
    pub(crate) fn finish(self, status: StatusCode, folder: Option<&'static str>) {
        let route = match (&self.route, folder) {
            (Some(route), _) => route.as_str(),
            (None, Some(label)) => label,
            // Requests no route matched share one label, so scanners cannot grow the series.
            (None, None) => "(no route)",
        };
        let seconds = self.started.elapsed().as_secs_f64();
        let (method, code) = (self.method, status.as_u16());
        HANDLES.with_borrow_mut(|h| {
            let entry = h
                .routes
                .entry(route.as_ptr() as usize)
                .or_insert_with(|| Route {
                    label: route.into(),
                    series: Vec::new(),
                });
            // The address of a route dropped since (another router) may have been reused.
            if &*entry.label != route {
                *entry = Route {
                    label: route.into(),
                    series: Vec::new(),
                };
            }
            let found = entry
                .series
                .iter()
                .position(|(m, s, _, _)| *s == code && *m == method);
            let index = found.unwrap_or_else(|| {
                let labels = [
                    ("method", method.to_owned()),
                    ("route", route.to_owned()),
                    ("status", status.as_str().to_owned()),
                ];
                entry.series.push((
                    method,
                    code,
                    metrics::counter!("http_requests_total", &labels),
                    metrics::histogram!("http_request_duration_seconds", &labels),
                ));
                entry.series.len() - 1
            });
            let (_, _, counter, histogram) = &entry.series[index];
            counter.increment(1);
            histogram.record(seconds);
        });
        // `self` drops here: out of the in-flight gauge.
    }
}

impl Drop for Measured {
    /// Also when the request is dropped unanswered (the client left, a timeout above).
    fn drop(&mut self) {
        in_flight(-1.0);
    }
}

/// The standard methods by name; anything else is `other` (a label per invented method would
/// let clients grow the series without bound).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
