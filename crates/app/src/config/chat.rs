//! The chat's variables (`APP_CHAT_*`).

use web::ChatConfig;

use super::{
    Source,
    parse::{Reader, parse_positive, parse_secs, secs},
};

pub(super) const VARIABLES: &[&str] = &[
    "APP_CHAT_MAX_MESSAGE_BYTES",
    "APP_CHAT_BUFFER",
    "APP_CHAT_RATE_LIMIT",
    "APP_CHAT_RATE_WINDOW_SECS",
    "APP_CHAT_PING_SECS",
    "APP_CHAT_IDLE_SECS",
];

pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(r: &mut Reader<'_, F>) -> ChatConfig {
    let d = ChatConfig::default();
    let chat = ChatConfig {
        max_message_bytes: r.parse(
            "APP_CHAT_MAX_MESSAGE_BYTES",
            d.max_message_bytes,
            parse_positive,
        ),
        outbound_buffer: r.parse("APP_CHAT_BUFFER", d.outbound_buffer, parse_positive),
        rate_limit: r.parse("APP_CHAT_RATE_LIMIT", d.rate_limit, parse_positive),
        rate_window: r.parse("APP_CHAT_RATE_WINDOW_SECS", d.rate_window, parse_secs),
        ping_interval: r.parse("APP_CHAT_PING_SECS", d.ping_interval, parse_secs),
        idle_timeout: r.parse("APP_CHAT_IDLE_SECS", d.idle_timeout, parse_secs),
        history: d.history,
    };
    if chat.idle_timeout <= chat.ping_interval {
        r.errors.push(format!(
            "APP_CHAT_IDLE_SECS: must be longer than APP_CHAT_PING_SECS ({}), or every client would time out between two pings",
            secs(chat.ping_interval)
        ));
    }
    if chat.max_message_bytes > db::HUB_MAX_PAYLOAD * 8 {
        r.errors.push(format!(
            "APP_CHAT_MAX_MESSAGE_BYTES: at most {} bytes",
            db::HUB_MAX_PAYLOAD * 8
        ));
    }
    chat
}

pub(super) fn describe(chat: &ChatConfig) -> Vec<(&'static str, String)> {
    vec![
        (
            "APP_CHAT_MAX_MESSAGE_BYTES",
            chat.max_message_bytes.to_string(),
        ),
        ("APP_CHAT_BUFFER", chat.outbound_buffer.to_string()),
        ("APP_CHAT_RATE_LIMIT", chat.rate_limit.to_string()),
        ("APP_CHAT_RATE_WINDOW_SECS", secs(chat.rate_window)),
        ("APP_CHAT_PING_SECS", secs(chat.ping_interval)),
        ("APP_CHAT_IDLE_SECS", secs(chat.idle_timeout)),
    ]
}
