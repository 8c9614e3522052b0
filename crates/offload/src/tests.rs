use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use super::{Error, Offload};

/// Runs `scenario` on a single-threaded runtime in another thread. If the code under test blocked
/// that runtime, the scenario would hang; the watchdog turns that into a failure.
fn on_one_runtime_thread<T: Send + 'static>(
    scenario: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = done.send(runtime.block_on(scenario));
    });
    result
        .recv_timeout(Duration::from_secs(30))
        .expect("the runtime hung: blocking work ran on it")
}

#[test]
fn the_runtime_keeps_serving_while_a_job_blocks() {
    let order = on_one_runtime_thread(async {
        let offload = Offload::new(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        let (release, released) = mpsc::channel::<()>();

        let log = Arc::clone(&order);
        let heavy = tokio::spawn(async move {
            offload
                .run("heavy", move || released.recv().unwrap())
                .await
                .unwrap();
            log.lock().unwrap().push("heavy");
        });
        // The only runtime thread is free while the job blocks: other work completes first.
        let light = tokio::spawn(async { "light" }).await.unwrap();
        order.lock().unwrap().push(light);
        release.send(()).unwrap();
        heavy.await.unwrap();
        Arc::try_unwrap(order).unwrap().into_inner().unwrap()
    });

    assert_eq!(order, ["light", "heavy"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_max_in_flight_jobs_run_at_once() {
    let offload = Offload::new(2);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new((Mutex::new(0usize), std::sync::Condvar::new()));

    let jobs: Vec<_> = (0..6)
        .map(|_| {
            let (offload, running, most, gate) = (
                offload.clone(),
                Arc::clone(&running),
                Arc::clone(&most),
                Arc::clone(&gate),
            );
            tokio::spawn(async move {
                offload
                    .run("counted", move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        let (tokens, opened) = &*gate;
                        let mut tokens = tokens.lock().unwrap();
                        while *tokens == 0 {
                            tokens = opened.wait(tokens).unwrap();
                        }
                        *tokens -= 1;
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
            })
        })
        .collect();

    // Wait (bounded) until the bound is reached, then let every job finish.
    let deadline = Instant::now() + Duration::from_secs(10);
    while running.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "two jobs never ran at once");
        tokio::task::yield_now().await;
    }
    let (tokens, opened) = &*gate;
    *tokens.lock().unwrap() = 6;
    opened.notify_all();
    for job in jobs {
        job.await.unwrap();
    }

    assert_eq!(most.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_panicking_job_is_an_error_and_frees_its_slot() {
    let offload = Offload::new(1);

    let panicked = offload.run("explodes", || -> u8 { panic!("boom") }).await;
    let next = offload.run("after", || 7).await;

    assert!(matches!(panicked, Err(Error::Panicked { job: "explodes" })));
    assert_eq!(next.unwrap(), 7);
}

#[test]
fn a_dedicated_bridge_runs_every_job_on_its_own_threads_at_most_that_many_at_once() {
    let (names, most) = on_one_runtime_thread(async {
        let offload = Offload::dedicated("hash", 2).unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (release, released) = mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let jobs: Vec<_> = (0..6)
            .map(|_| {
                let (offload, running, most, released) = (
                    offload.clone(),
                    Arc::clone(&running),
                    Arc::clone(&most),
                    Arc::clone(&released),
                );
                tokio::spawn(async move {
                    offload
                        .run("counted", move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            released.lock().unwrap().recv().unwrap();
                            running.fetch_sub(1, Ordering::SeqCst);
                            std::thread::current().name().unwrap_or_default().to_owned()
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for _ in 0..6 {
            release.send(()).unwrap();
        }
        let mut names = Vec::new();
        for job in jobs {
            names.push(job.await.unwrap());
        }
        (names, most.load(Ordering::SeqCst))
    });

    assert!(most <= 2, "{most} jobs ran at once");
    assert!(
        names.iter().all(|n| n == "hash-0" || n == "hash-1"),
        "{names:?}"
    );
}

#[test]
fn a_panic_on_a_dedicated_thread_is_an_error_and_the_thread_goes_on() {
    let (panicked, after) = on_one_runtime_thread(async {
        let offload = Offload::dedicated("one", 1).unwrap();
        let panicked = offload.run("boom", || panic!("in the job")).await;
        let after = offload.run("after", || 7).await;
        (panicked, after)
    });

    assert!(matches!(panicked, Err(Error::Panicked { job: "boom" })));
    assert_eq!(after.unwrap(), 7);
}
