//! The chat demo across replicas.

use std::time::Duration;

use crate::{
    helpers::{create_token, sample},
    topology::Stack,
};

/// A user's message on one replica reaches a reader on the other (PostgreSQL's NOTIFY).
pub async fn between_replicas(stack: &Stack, admin: i64) {
    let token = create_token(&stack.db, admin, "chat").await;
    let ws = stack.proxy.replacen("http://", "ws://", 1) + "/ws/chat/stack";
    let limit = Duration::from_secs(30);
    let mut writer = web::chat::client::ChatClient::builder(&ws)
        .header("authorization", &format!("Bearer {token}"))
        .read_timeout(limit)
        .connect()
        .await
        .unwrap();
    // The proxy sends the second socket to the replica with fewer connections: the other one.
    let mut reader = web::chat::client::ChatClient::builder(&ws)
        .read_timeout(limit)
        .connect()
        .await
        .unwrap();
    for n in 0..2 {
        let sockets = sample(&stack.metrics(n).await, "websocket_connections", &[]);
        assert_eq!(
            sockets,
            Some(1.0),
            "replica {n} holds one of the two sockets"
        );
    }
    writer.say("hello from the other replica").await.unwrap();
    let (author, body) = reader.next_message().await.unwrap();
    assert_eq!(author, "admin", "the author by the name chat shows");
    assert_eq!(body, "hello from the other replica");
}
