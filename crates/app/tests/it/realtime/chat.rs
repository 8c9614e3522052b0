//! Chat rooms: delivery in order to everyone in the room, history on join, presence, guests,
//! the form that posts without JavaScript, and two replicas sharing a room.

use reqwest::StatusCode;
use web::chat::{ServerFrame, client::ClientError};

use crate::helpers::{html, spawn_app, spawn_app_with};

/// Reads the three frames every join starts with; returns the history's bodies.
pub(super) async fn joined(
    client: &mut web::chat::client::ChatClient,
) -> (Option<String>, Vec<String>) {
    let ServerFrame::Welcome { you, .. } = client.next_frame().await.unwrap() else {
        panic!("the first frame is the welcome");
    };
    let ServerFrame::History { messages } = client.next_frame().await.unwrap() else {
        panic!("the second frame is the history");
    };
    (you, messages.into_iter().map(|m| m.body).collect())
}

#[tokio::test]
async fn two_clients_in_a_room_receive_each_others_messages_in_order() {
    let app = spawn_app().await;
    let (_, _, _) = app.sign_up("bob@example.com").await;
    let bob_token = crate::helpers::create_token(
        &app.db,
        db::users::find_by_email(
            &app.db,
            &db::users::Email::parse("bob@example.com").unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .id,
        "chat",
    )
    .await;
    let mut alice = app.chat("lobby").await;
    let (you, history) = joined(&mut alice).await;
    assert_eq!(you.as_deref(), Some("admin"));
    assert!(history.is_empty());
    let mut bob = app
        .chat_client("lobby")
        .header("authorization", &format!("Bearer {bob_token}"))
        .connect()
        .await
        .unwrap();
    assert_eq!(joined(&mut bob).await.0.as_deref(), Some("bob"));

    for n in 0..5 {
        alice.say(&format!("a{n}")).await.unwrap();
        bob.say(&format!("b{n}")).await.unwrap();
    }
    // Both see all ten, and in the same order: the room's order.
    let mut seen_by_alice = Vec::new();
    let mut seen_by_bob = Vec::new();
    for _ in 0..10 {
        seen_by_alice.push(alice.next_message().await.unwrap());
        seen_by_bob.push(bob.next_message().await.unwrap());
    }
    assert_eq!(seen_by_alice, seen_by_bob);
    let from = |who: &str| -> Vec<String> {
        seen_by_alice
            .iter()
            .filter(|(author, _)| author == who)
            .map(|(_, body)| body.clone())
            .collect()
    };
    assert_eq!(from("admin"), ["a0", "a1", "a2", "a3", "a4"]);
    assert_eq!(from("bob"), ["b0", "b1", "b2", "b3", "b4"]);
    // Other rooms hear nothing of it: a late joiner elsewhere gets an empty history.
    let mut elsewhere = app.chat("other").await;
    assert!(joined(&mut elsewhere).await.1.is_empty());
}

#[tokio::test]
async fn joining_sends_the_last_fifty_messages_oldest_first() {
    let app = spawn_app_with(&[("APP_CHAT_RATE_LIMIT", "1000")]).await;
    let mut poster = app.chat("history").await;
    joined(&mut poster).await;
    for n in 0..55 {
        poster.say(&format!("m{n:02}")).await.unwrap();
        poster.next_message().await.unwrap();
    }
    let mut late = app.chat("history").await;
    let (_, history) = joined(&mut late).await;
    let expected: Vec<String> = (5..55).map(|n| format!("m{n:02}")).collect();
    assert_eq!(history, expected);
}

#[tokio::test]
async fn guests_read_but_cannot_post_and_presence_counts_them() {
    let app = spawn_app().await;
    let mut member = app.chat("open").await;
    joined(&mut member).await;
    let mut guest = app.chat_client("open").connect().await.unwrap();
    let (you, _) = joined(&mut guest).await;
    assert_eq!(you, None, "a guest has no name");
    // Presence: the member sees a guest arrive.
    let presence = member
        .next_matching(|f| matches!(f, ServerFrame::Presence(p) if p.guests == 1))
        .await
        .unwrap();
    let ServerFrame::Presence(present) = presence else {
        unreachable!()
    };
    assert_eq!(present.users, ["admin"]);

    guest.say("let me in").await.unwrap();
    let refused = guest
        .next_matching(|f| matches!(f, ServerFrame::Error { .. }))
        .await
        .unwrap();
    let ServerFrame::Error { message } = refused else {
        unreachable!()
    };
    assert!(message.contains("Sign in to post"), "{message}");
    member.say("members only").await.unwrap();
    assert_eq!(
        guest.next_message().await.unwrap(),
        ("admin".to_owned(), "members only".to_owned()),
        "the guest reads the room, and its own attempt was never posted"
    );
    assert_eq!(
        db::chat::recent(&app.db, &db::chat::RoomName::parse("open").unwrap(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The guest leaves: the member is told.
    guest.close().await.unwrap();
    member
        .next_matching(|f| matches!(f, ServerFrame::Presence(p) if p.guests == 0))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_room_page_shows_history_and_its_form_posts_without_javascript() {
    let app = spawn_app().await;
    let mut live = app.chat("tea").await;
    joined(&mut live).await;
    let posted = app
        .post_form("/chat/tea", &[("body", "<b>hello</b>")])
        .await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(posted.headers()["location"], "/chat/tea#compose");
    // The socket hears the form's post too.
    assert_eq!(live.next_message().await.unwrap().1, "<b>hello</b>");
    let page = html(app.get("/chat/tea").await, StatusCode::OK).await;
    assert!(
        page.contains("&lt;b&gt;hello&lt;&#x2F;b&gt;"),
        "escaped: {page}"
    );
    assert!(page.contains("/static/chat.js"));

    let empty = app.post_form("/chat/tea", &[("body", "   ")]).await;
    let page = html(empty, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("A message must not be empty."));

    let visitor = app.anonymous();
    let page = html(
        visitor.get(app.url("/chat/tea")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Sign in</a> to post"));
    assert_eq!(
        app.get("/chat/Not%20A%20Room").await.status(),
        StatusCode::NOT_FOUND
    );
    let index = app.get("/chat?room=Tea%20Time").await;
    assert!(
        html(index, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("may use only")
    );
    let join = app.get("/chat?room=tea").await;
    assert_eq!(join.headers()["location"], "/chat/tea");
}

#[tokio::test]
async fn two_app_instances_on_one_database_share_a_room() {
    let app = spawn_app().await;
    let other = app.replica(&[]).await;
    let mut here = app.chat("shared").await;
    joined(&mut here).await;
    let there_url = format!("ws{}/ws/chat/shared", other.trim_start_matches("http"));
    let mut there = crate::helpers::chat_builder(&there_url)
        .header("authorization", &format!("Bearer {}", app.token))
        .connect()
        .await
        .unwrap();
    joined(&mut there).await;
    here.say("from the first").await.unwrap();
    if app.on_postgres() {
        // LISTEN/NOTIFY carries it to the other process's connections at once, both ways.
        assert_eq!(there.next_message().await.unwrap().1, "from the first");
        there.say("from the second").await.unwrap();
        assert_eq!(here.next_message().await.unwrap().1, "from the first");
        assert_eq!(here.next_message().await.unwrap().1, "from the second");
    } else {
        // SQLite is one process's database: the hub is in-process, so the other instance
        // sees the message in the history of its next join, not live.
        assert_eq!(here.next_message().await.unwrap().1, "from the first");
        let mut rejoined = crate::helpers::chat_builder(&there_url)
            .connect()
            .await
            .unwrap();
        assert_eq!(joined(&mut rejoined).await.1, ["from the first"]);
    }
}

#[tokio::test]
async fn an_unknown_room_name_is_refused_before_the_upgrade() {
    let app = spawn_app().await;
    let refused = app.chat_client("No%20Spaces").connect().await;
    assert!(
        matches!(refused, Err(ClientError::Refused { status: 404 })),
        "{refused:?}"
    );
}

/// SIGTERM with a chat socket open: the socket hears 1001 ("going away") and the app stops
/// within its drain deadline instead of waiting for the client to leave.
#[tokio::test]
async fn shutdown_closes_chat_sockets_as_going_away() {
    let mut app = spawn_app_with(&[("APP_DRAIN_TIMEOUT_SECS", "1")]).await;
    let mut chat = app.chat("lobby").await;
    chat.next_frame().await.unwrap();

    app.stop().await.expect("the app stopped cleanly");

    let (code, _) = chat.until_closed().await;
    assert_eq!(code, Some(1001), "the socket was closed as going away");
}
