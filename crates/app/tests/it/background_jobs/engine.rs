//! The queue and worker engine on the test database: J1, J4, J5, J6, J7, J8.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures_util::future::join_all;
use jobs::{Backoff, Clock, Drained, Queue, Runner, State, WorkerConfig};
use sea_orm::{ConnectionTrait, Database, Statement};

use super::support::{
    Flaky, Hangs, Noop, Panics, Probe, Unique, migrated_db, quick, runner, shutdown, state_of,
};

/// J1: a job enqueued in a transaction exists if and only if it commits, and no other
/// connection sees it before.
#[tokio::test]
async fn enqueue_in_a_transaction_commits_or_rolls_back_with_it() {
    let (database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let other = Database::connect(&database.url).await.unwrap();

    let txn = db::begin_write(&db).await.unwrap();
    let rolled_back = queue.enqueue(&txn, &Noop).await.unwrap();
    assert!(
        jobs::exists(&txn, rolled_back.id).await.unwrap(),
        "visible inside"
    );
    assert!(
        !jobs::exists(&other, rolled_back.id).await.unwrap(),
        "invisible outside"
    );
    txn.rollback().await.unwrap();
    assert!(
        !jobs::exists(&db, rolled_back.id).await.unwrap(),
        "rollback = no job"
    );

    let txn = db::begin_write(&db).await.unwrap();
    let committed = queue.enqueue(&txn, &Noop).await.unwrap();
    assert!(!jobs::exists(&other, committed.id).await.unwrap());
    txn.commit().await.unwrap();
    assert!(
        jobs::exists(&other, committed.id).await.unwrap(),
        "commit = enqueued"
    );

    let probe = Probe::default();
    let drained = runner(&queue, &probe, quick())
        .run_until_empty()
        .await
        .unwrap();
    assert_eq!(
        drained,
        Drained {
            succeeded: 1,
            failed: 0
        }
    );
    // Only the committed job ran (SQLite may hand the rolled-back id out again: compare counts).
    assert_eq!((probe.total(), probe.runs_of(committed.id)), (1, 1));
}

fn manual_clock() -> Clock {
    Clock::manual(Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 30).unwrap())
}

/// J4: failures wait per the backoff (never less than half, never more than the ceiling), the
/// last attempt makes the job dead with its error kept, and a manual retry revives it.
#[tokio::test]
async fn failures_back_off_then_die_and_a_manual_retry_revives_the_job() {
    let (_database, db) = migrated_db().await;
    let clock = manual_clock();
    let queue = Queue::with_clock(db.clone(), db::Hub::new(db.clone(), 16), clock.clone());
    let backoff = Backoff {
        base: Duration::from_secs(10),
        max: Duration::from_secs(3600),
    };
    let config = WorkerConfig { backoff, ..quick() };
    let probe = Probe::default();
    let worker = runner(&queue, &probe, config);
    let id = queue.enqueue(&queue.db().clone(), &Flaky).await.unwrap().id;

    for attempt in 1..=2 {
        assert_eq!(worker.run_until_empty().await.unwrap().failed, 1);
        let job = queue.get(id).await.unwrap();
        assert_eq!((job.state, job.attempts), (State::Retrying, attempt));
        assert_eq!(
            job.last_error.as_deref(),
            Some(&*format!("boom on attempt {attempt}"))
        );
        let wait = (job.run_at - clock.now()).to_std().unwrap();
        let ceiling = backoff.ceiling(u32::try_from(attempt).unwrap());
        assert!(
            wait >= ceiling / 2 && wait <= ceiling,
            "attempt {attempt}: {wait:?}"
        );
        // Not due yet: nothing runs.
        assert_eq!(worker.run_until_empty().await.unwrap(), Drained::default());
        clock.advance(wait);
    }
    assert_eq!(worker.run_until_empty().await.unwrap().failed, 1);
    let dead = queue.get(id).await.unwrap();
    assert_eq!((dead.state, dead.attempts), (State::Dead, 3));
    assert_eq!(dead.last_error.as_deref(), Some("boom on attempt 3"));
    assert!(dead.finished_at.is_some());
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(
        worker.run_until_empty().await.unwrap(),
        Drained::default(),
        "dead stays dead"
    );

    probe.heal();
    let revived = queue.retry(id).await.unwrap();
    assert_eq!((revived.state, revived.attempts), (State::Queued, 0));
    assert_eq!(worker.run_until_empty().await.unwrap().succeeded, 1);
    assert_eq!(state_of(&queue, id).await, State::Succeeded);
    assert_eq!(probe.runs_of(id), 4);

    // Retrying a finished job is refused, and says why.
    let err = queue.retry(id).await.unwrap_err().to_string();
    assert!(err.contains("succeeded"), "{err}");
}

/// J5: eight concurrent enqueues of one unique key make one row; all get its id.
#[tokio::test]
async fn concurrent_enqueues_of_one_unique_key_make_one_job() {
    let (_database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let job = Unique {
        key: "report:2026-11".into(),
    };
    let results = join_all((0..8).map(|_| queue.enqueue(&db, &job))).await;
    let enqueued: Vec<_> = results.into_iter().map(Result::unwrap).collect();

    assert!(
        enqueued.iter().all(|e| e.id == enqueued[0].id),
        "{enqueued:?}"
    );
    assert_eq!(enqueued.iter().filter(|e| !e.existing).count(), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM jobs").await, 1);

    // Once it has run, the key is free again.
    let probe = Probe::default();
    runner(&queue, &probe, quick())
        .run_until_empty()
        .await
        .unwrap();
    let again = queue.enqueue(&db, &job).await.unwrap();
    assert!(!again.existing && again.id != enqueued[0].id);
}

/// J6: four workers on 10,000 jobs: every job runs exactly once.
#[tokio::test]
async fn four_workers_run_ten_thousand_jobs_exactly_once() {
    const JOBS: usize = 10_000;
    let (_database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let ids = queue.enqueue_many(&db, &vec![Noop; JOBS]).await.unwrap();
    assert_eq!(ids.len(), JOBS);

    let probe = Probe::default();
    let mut stops = Vec::new();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (stop, stopped) = shutdown();
        stops.push(stop);
        let config = WorkerConfig {
            concurrency: 32,
            ..quick()
        };
        workers.push(tokio::spawn(runner(&queue, &probe, config).run(stopped)));
    }
    probe.wait_for_total(JOBS, Duration::from_secs(240)).await;
    for stop in stops {
        stop.send(()).unwrap();
    }
    for worker in workers {
        worker.await.unwrap().unwrap();
    }

    let runs = probe.runs();
    assert_eq!(runs.len(), JOBS);
    assert!(ids.iter().all(|id| runs.get(id) == Some(&1)));
    let succeeded = "SELECT COUNT(*) FROM jobs WHERE state = 'succeeded' AND attempts = 1";
    assert_eq!(count(&db, succeeded).await, JOBS as i64);
}

/// J7: a job never runs before its `run_at`.
#[tokio::test]
async fn a_job_never_runs_before_its_time() {
    let (_database, db) = migrated_db().await;
    let clock = manual_clock();
    let queue = Queue::with_clock(db.clone(), db::Hub::new(db.clone(), 16), clock.clone());
    let probe = Probe::default();
    let worker = runner(&queue, &probe, quick());
    let at = clock.now() + chrono::Duration::seconds(60);
    let id = queue.enqueue_at(&db, &Noop, at).await.unwrap().id;

    assert_eq!(worker.run_until_empty().await.unwrap().succeeded, 0);
    clock.advance(Duration::from_secs(60) - Duration::from_micros(1));
    assert_eq!(worker.run_until_empty().await.unwrap().succeeded, 0);
    clock.advance(Duration::from_micros(1));
    assert_eq!(worker.run_until_empty().await.unwrap().succeeded, 1);
    assert_eq!(probe.runs_of(id), 1);
}

/// J7: with two workers, a cron entry enqueues once per tick; missed ticks coalesce into one.
#[tokio::test]
async fn a_cron_entry_fires_once_per_tick_across_two_workers() {
    let (_database, db) = migrated_db().await;
    let clock = manual_clock(); // 10:00:30
    let probe = Probe::default();
    let workers: Vec<Runner<Probe>> = (0..2)
        .map(|_| {
            let queue = Queue::with_clock(db.clone(), db::Hub::new(db.clone(), 16), clock.clone());
            Runner::new(queue, probe.clone(), quick())
                .schedule("every_minute", "* * * * *", &Noop)
                .unwrap()
        })
        .collect();
    let fire_both = || async {
        let fired = join_all(workers.iter().map(Runner::fire_schedules)).await;
        fired.into_iter().map(Result::unwrap).sum::<usize>()
    };
    let scheduled = "SELECT COUNT(*) FROM jobs WHERE kind = 'test_noop'";

    assert_eq!(
        fire_both().await,
        0,
        "a new schedule waits for its next tick"
    );
    clock.advance(Duration::from_secs(30)); // 10:01:00, a tick
    assert_eq!(fire_both().await, 1);
    assert_eq!(fire_both().await, 0, "the same tick never fires twice");
    clock.advance(Duration::from_secs(30)); // 10:01:30
    assert_eq!(fire_both().await, 0);
    clock.advance(Duration::from_secs(150)); // 10:04:00: ticks 10:02, 10:03, 10:04 were missed
    assert_eq!(fire_both().await, 1, "missed ticks coalesce into one run");
    assert_eq!(count(&db, scheduled).await, 2);
}

/// J8: a panicking job and a job that outlives its timeout fail (and are retried); the worker
/// goes on with the next job.
#[tokio::test]
async fn a_panicking_or_hanging_job_never_stops_the_worker() {
    let (_database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let panics = queue.enqueue(&db, &Panics).await.unwrap().id;
    let hangs = queue.enqueue(&db, &Hangs).await.unwrap().id;
    let probe = Probe::default();
    let config = WorkerConfig {
        concurrency: 1,
        ..quick()
    };
    let (stop, stopped) = shutdown();
    let worker = tokio::spawn(runner(&queue, &probe, config).run(stopped));
    probe.wait_for_total(2, Duration::from_secs(30)).await;
    // Enqueued after both failed or while they fail: the one slot must come free for it.
    let noop = queue.enqueue(&db, &Noop).await.unwrap().id;
    probe.wait_for_total(3, Duration::from_secs(30)).await;
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();

    assert_eq!(probe.runs_of(noop), 1);
    let panicked = queue.get(panics).await.unwrap();
    assert_ne!(panicked.state, State::Succeeded);
    assert_eq!(
        panicked.last_error.as_deref(),
        Some("panicked: the job blew up")
    );
    let hung = queue.get(hangs).await.unwrap();
    assert_eq!(hung.last_error.as_deref(), Some("timed out after 100ms"));
    assert_eq!(state_of(&queue, noop).await, State::Succeeded);
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    let row = db.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

/// On PostgreSQL a process holds one `LISTEN` connection: the workers hear of new jobs over the
/// hub's, which also carries job progress and live features. A job enqueued by another process
/// (another queue, another hub) wakes a worker whose poll would not come for an hour.
#[tokio::test]
async fn workers_hear_of_new_jobs_over_the_hubs_one_listen_connection() {
    let (_database, db) = migrated_db().await;
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        // SQLite has one process and no LISTEN: enqueue wakes the workers directly.
        return;
    }
    let hub = db::Hub::new(db.clone(), 16);
    let queue = Queue::new(db.clone(), hub.clone());
    let _progress = hub.subscribe("job:1").await;
    let probe = Probe::default();
    let config = WorkerConfig {
        poll_interval: Duration::from_secs(3_600),
        ..quick()
    };
    let (stop, stopped) = shutdown();
    let worker = tokio::spawn(runner(&queue, &probe, config).run(stopped));

    for n in 1..=2 {
        // A fresh handle each time: a handle notifies at most once per 5 ms (`NOTIFY_WINDOW`),
        // and its first enqueue always does.
        let elsewhere = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
        elsewhere.enqueue(&db, &Noop).await.unwrap();
        probe.wait_for_total(n, Duration::from_secs(10)).await;
    }
    let listening = count(
        &db,
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .await;
    assert_eq!(
        listening, 1,
        "one LISTEN connection for the hub and the workers"
    );
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
}
