//! The chat and upload variables.

use std::path::Path;

use web::{ChatConfig, UploadConfig};

use super::{
    Source,
    parse::{Reader, parse_positive, parse_secs, secs},
};

pub(super) fn read_chat<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
) -> ChatConfig {
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

pub(super) fn read_uploads<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
    data_dir: &Path,
) -> UploadConfig {
    let d = UploadConfig::under(data_dir);
    UploadConfig {
        max_bytes: r.parse("APP_UPLOAD_MAX_BYTES", d.max_bytes, parse_positive),
        max_pixels: r.parse("APP_UPLOAD_MAX_PIXELS", d.max_pixels, parse_positive),
        timeout: r.parse("APP_UPLOAD_TIMEOUT_SECS", d.timeout, parse_secs),
        ..d
    }
}

pub(super) fn describe(chat: &ChatConfig, uploads: &UploadConfig) -> Vec<(&'static str, String)> {
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
        ("APP_UPLOAD_MAX_BYTES", uploads.max_bytes.to_string()),
        ("APP_UPLOAD_MAX_PIXELS", uploads.max_pixels.to_string()),
        ("APP_UPLOAD_TIMEOUT_SECS", secs(uploads.timeout)),
    ]
}
