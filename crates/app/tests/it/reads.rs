//! `db::Reads`: on SQLite, reads on reader threads of their own; they must answer exactly as the
//! pool does.

use db::{DbConfig, Reads, list::Position, products};

use crate::helpers::{TestApp, spawn_app};

fn reads(app: &TestApp) -> Reads {
    let mut config = DbConfig::new(app.database_url());
    config.readers = 2;
    Reads::open(&app.db, &config).unwrap()
}

#[tokio::test]
async fn the_readers_answer_every_list_order_as_the_pool_does() {
    let app = spawn_app().await;
    app.create_product("Thé “vert” & <b>", 0).await;
    products::seed_demo(&app.db, 30).await.unwrap();
    let reads = reads(&app);

    for order in products::ORDERS {
        let mut position = Position::First;
        loop {
            let ours = products::list(&reads, order, 7, &position).await.unwrap();
            let pool = products::list(&app.db, order, 7, &position).await.unwrap();
            assert_eq!(ours, pool, "sort={}", order.name);
            match ours.next {
                Some(next) => position = Position::After(next),
                None => break,
            }
        }
    }
    let first = products::batch_after(&app.db, 0, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(products::get(&reads, first.id).await.unwrap(), first);
    assert!(matches!(
        products::get(&reads, i64::MAX).await,
        Err(db::Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn reads_abandoned_mid_flight_leave_the_readers_serving() {
    let app = spawn_app().await;
    products::seed_demo(&app.db, 50).await.unwrap();
    let reads = reads(&app);

    // Start many reads and drop them before they are answered (a client hanging up).
    for id in 1..=200 {
        let read = products::get(&reads, id % 50 + 1);
        let mut read = Box::pin(read);
        let _ = futures_util::poll!(&mut read);
        drop(read);
    }

    for id in 1..=50 {
        assert_eq!(products::get(&reads, id).await.unwrap().id, id);
    }
}

#[tokio::test]
async fn a_write_is_seen_by_the_next_read() {
    let app = spawn_app().await;
    let reads = reads(&app);

    for n in 0..20 {
        let created = app.create_product(&format!("p{n}"), n).await;
        let id = created["id"].as_i64().unwrap();
        assert_eq!(products::get(&reads, id).await.unwrap().price_cents, n);
    }
}
