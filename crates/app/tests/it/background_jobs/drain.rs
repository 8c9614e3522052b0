//! J3 in-process: on shutdown a worker stops claiming at once, lets a short job finish, and
//! gives a job longer than the grace period back to the queue, neither failed nor lost.

use std::time::Duration;

use jobs::{Queue, State, WorkerConfig};

use super::support::{Forever, Gate, Noop, Probe, migrated_db, quick, runner, shutdown};

#[tokio::test]
async fn shutdown_finishes_short_jobs_gives_back_long_ones_and_claims_nothing_new() {
    let (_database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let short = queue.enqueue(&db, &Gate).await.unwrap().id;
    let long = queue.enqueue(&db, &Forever).await.unwrap().id;
    let probe = Probe::default();
    // Two slots, both taken: the worker can claim nothing more before the signal.
    let config = WorkerConfig {
        concurrency: 2,
        grace: Duration::from_millis(500),
        ..quick()
    };
    let (stop, stopped) = shutdown();
    let worker = tokio::spawn(runner(&queue, &probe, config).run(stopped));
    probe.wait_for_total(2, Duration::from_secs(30)).await;

    stop.send(()).unwrap();
    let late = queue.enqueue(&db, &Noop).await.unwrap().id;
    probe.open_gate(1);
    worker.await.unwrap().unwrap();

    let short = queue.get(short).await.unwrap();
    assert_eq!(short.state, State::Succeeded);
    let long = queue.get(long).await.unwrap();
    assert_eq!(
        (long.state, long.attempts),
        (State::Queued, 0),
        "given back, not failed"
    );
    assert_eq!(long.last_error, None);
    assert_eq!(
        probe.runs_of(late),
        0,
        "nothing is claimed after the signal"
    );
    assert_eq!(queue.get(late).await.unwrap().state, State::Queued);

    // The given-back job is whole: the next worker runs it.
    let probe = Probe::default();
    let next = runner(&queue, &probe, quick());
    let (stop, stopped) = shutdown();
    let next = tokio::spawn(next.run(stopped));
    probe.wait_for_total(2, Duration::from_secs(30)).await;
    assert_eq!(probe.runs_of(long.id), 1);
    stop.send(()).unwrap();
    next.await.unwrap().unwrap();
}
