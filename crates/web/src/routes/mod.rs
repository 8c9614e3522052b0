//! One module per resource, each ending in `pub(crate) fn router() -> Router<AppState>`.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod events;
pub(crate) mod export; // [demo:export]
pub(crate) mod health;
pub(crate) mod home;
pub(crate) mod jobs;
pub(crate) mod products; // [demo:products]
pub(crate) mod todos; // [demo:todos]
// [generate:route-mod]
