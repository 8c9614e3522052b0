//! Server-Sent Events: `/events/jobs/{id}` streams a job's progress and final state.
//!
//! The stream sends the job as it is now, then a `progress` event for every report the job
//! publishes on the hub (from whichever worker process runs it), and ends with a `done` event
//! once the job has finished. The job's row is also re-read every [`POLL`]: that is how the end
//! (recorded by the worker after the job returns) and any notification lost on the way are
//! seen. A client that disconnects drops the stream, and with it the hub subscription. When the
//! server shuts down the stream ends, so it cannot hold the drain open (browsers reconnect).

use std::{convert::Infallible, time::Duration};

use axum::{
    Router,
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
    routing::get,
};
use db::{HubRecvError, Subscription};
use futures_util::{Stream, StreamExt, stream};
use jobs::{JobRecord, Progress, State as JobState};
use serde::Serialize;

use crate::{AppState, Result, auth::RequireAdmin, extract::Path};

/// How often the stream re-reads the job's row.
const POLL: Duration = Duration::from_secs(1);

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/events/jobs/{id}", get(job_events))
}

/// One event's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Snapshot {
    state: JobState,
    progress: Option<Progress>,
    /// The job's result file, for kinds that write one, once it can be downloaded.
    download: Option<String>,
}

impl Snapshot {
    fn of(job: &JobRecord) -> Self {
        Self {
            state: job.state,
            progress: job.progress,
            download: super::jobs::download_url(job),
        }
    }

    fn finished(&self) -> bool {
        !matches!(
            self.state,
            JobState::Queued | JobState::Running | JobState::Retrying
        )
    }

    fn event(&self) -> Event {
        let name = if self.finished() { "done" } else { "progress" };
        let data = serde_json::to_string(self).unwrap_or_default();
        Event::default().event(name).data(data)
    }
}

struct Follow {
    state: AppState,
    id: i64,
    updates: Subscription,
    poll: tokio::time::Interval,
    last: Option<Snapshot>,
    /// In `sse_connections` while the stream lives.
    _open: crate::metered::Open,
}

async fn job_events(
    State(state): State<AppState>,
    _: RequireAdmin,
    Path(id): Path<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Subscribed before the first read, so no report falls between the two.
    let updates = state.hub.subscribe(&jobs::progress::topic(id)).await;
    let first = Snapshot::of(&state.jobs.get(id).await?);
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    poll.reset();
    let closing = state.shutdown().begun();
    let follow = Follow {
        state,
        id,
        updates,
        poll,
        last: None,
        _open: crate::metered::Open::new("sse_connections"),
    };
    let events = stream::unfold(Some((follow, Some(first))), |step| async move {
        let (mut follow, ready) = step?;
        let next = match ready {
            Some(snapshot) => snapshot,
            None => follow.next_change().await?,
        };
        follow.last = Some(next.clone());
        let event = next.event();
        // After `done` the stream ends.
        let step = (!next.finished()).then_some((follow, None));
        Some((Ok(event), step))
    })
    .take_until(closing);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(10))))
}

impl Follow {
    /// Waits for the job to change from what was last sent; `None` when it cannot be read.
    async fn next_change(&mut self) -> Option<Snapshot> {
        loop {
            let candidate = tokio::select! {
                update = self.updates.recv() => match update {
                    Ok(payload) => match serde_json::from_str::<Progress>(&payload) {
                        Ok(progress) => Snapshot {
                            state: JobState::Running,
                            progress: Some(progress),
                            download: None,
                        },
                        Err(_) => continue,
                    },
                    // Missed some: the row says where the job is now.
                    Err(HubRecvError::Lagged(_)) => self.read().await?,
                    Err(HubRecvError::Closed) => return None,
                },
                _ = self.poll.tick() => self.read().await?,
            };
            if self.last.as_ref() != Some(&candidate) {
                return Some(candidate);
            }
        }
    }

    async fn read(&self) -> Option<Snapshot> {
        match self.state.jobs.get(self.id).await {
            Ok(job) => Some(Snapshot::of(&job)),
            Err(err) => {
                tracing::warn!(error = %err, job = self.id, "job events: cannot read the job");
                None
            }
        }
    }
}
