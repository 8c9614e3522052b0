//! A typed chat client over tokio-tungstenite (feature `client`): what the integration tests
//! use, and a starting point for bots and load tools.
//!
//! ```no_run
//! # async fn demo() -> Result<(), web::chat::client::ClientError> {
//! use web::chat::{ServerFrame, client::ChatClient};
//! let mut chat = ChatClient::builder("ws://127.0.0.1:3000/ws/chat/lobby")
//!     .header("authorization", "Bearer <token>")
//!     .connect()
//!     .await?;
//! chat.say("hello").await?;
//! let echoed = chat.next_matching(|f| matches!(f, ServerFrame::Message { .. })).await?;
//! # Ok(()) }
//! ```

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};

use super::{ClientFrame, ServerFrame};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered the upgrade request with this status instead of 101.
    #[error("the upgrade was refused with HTTP {status}")]
    Refused { status: u16 },
    /// The server closed the connection (the close frame's code, if it sent one).
    #[error("the server closed the connection (code {code:?}: {reason})")]
    Closed { code: Option<u16>, reason: String },
    #[error("a frame that is not chat JSON: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("bad request: {0}")]
    Request(String),
    /// Nothing arrived within the builder's `read_timeout`.
    #[error("no frame within {0:?}")]
    Timeout(std::time::Duration),
    #[error(transparent)]
    WebSocket(#[from] tungstenite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Options for [`ChatClient::connect`]: headers (cookie, origin, authorization) and, to play a
/// slow reader in tests, a small socket receive buffer.
#[derive(Debug)]
pub struct Builder {
    url: String,
    headers: Vec<(String, String)>,
    recv_buffer: Option<u32>,
    read_timeout: Option<std::time::Duration>,
}

impl Builder {
    /// Reads that wait longer than this fail with [`ClientError::Timeout`] (tests use it so a
    /// missing message fails the test instead of hanging it).
    pub fn read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the socket's receive buffer (`SO_RCVBUF`) before connecting.
    pub fn recv_buffer(mut self, bytes: u32) -> Self {
        self.recv_buffer = Some(bytes);
        self
    }

    pub async fn connect(self) -> Result<ChatClient, ClientError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|err| ClientError::Request(err.to_string()))?;
        for (name, value) in &self.headers {
            let name = tungstenite::http::HeaderName::try_from(name.as_str())
                .map_err(|err| ClientError::Request(err.to_string()))?;
            let value = HeaderValue::from_str(value)
                .map_err(|err| ClientError::Request(err.to_string()))?;
            request.headers_mut().append(name, value);
        }
        let host = request.uri().host().unwrap_or("127.0.0.1").to_owned();
        let port = request.uri().port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await?
            .next()
            .ok_or_else(|| ClientError::Request(format!("{host} does not resolve")))?;
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(bytes) = self.recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        let stream = socket.connect(addr).await?;
        match tokio_tungstenite::client_async(request, stream).await {
            Ok((ws, _)) => Ok(ChatClient {
                ws,
                read_timeout: self.read_timeout,
            }),
            Err(tungstenite::Error::Http(response)) => Err(ClientError::Refused {
                status: response.status().as_u16(),
            }),
            Err(err) => Err(err.into()),
        }
    }
}

/// One chat connection.
#[derive(Debug)]
pub struct ChatClient {
    ws: WebSocketStream<TcpStream>,
    read_timeout: Option<std::time::Duration>,
}

impl ChatClient {
    /// `url` is the socket's address, e.g. `ws://127.0.0.1:3000/ws/chat/lobby`.
    pub fn builder(url: &str) -> Builder {
        Builder {
            url: url.to_owned(),
            headers: Vec::new(),
            recv_buffer: None,
            read_timeout: None,
        }
    }

    /// Posts a message.
    pub async fn say(&mut self, body: &str) -> Result<(), ClientError> {
        let frame = serde_json::to_string(&ClientFrame::Say {
            body: body.to_owned(),
        })?;
        self.send_raw(Message::Text(frame.into())).await
    }

    /// Sends any WebSocket message (to test what the server does with bad input).
    pub async fn send_raw(&mut self, message: Message) -> Result<(), ClientError> {
        Ok(self.ws.send(message).await?)
    }

    /// The next frame from the server (pings are answered and skipped); a close is
    /// [`ClientError::Closed`].
    pub async fn next_frame(&mut self) -> Result<ServerFrame, ClientError> {
        loop {
            let next = match self.read_timeout {
                Some(limit) => tokio::time::timeout(limit, self.ws.next())
                    .await
                    .map_err(|_| ClientError::Timeout(limit))?,
                None => self.ws.next().await,
            };
            let message = next.ok_or(ClientError::Closed {
                code: None,
                reason: "connection ended".into(),
            })??;
            match message {
                Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
                Message::Close(frame) => {
                    return Err(ClientError::Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    });
                }
                Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Skips frames until one matches.
    pub async fn next_matching(
        &mut self,
        wanted: impl Fn(&ServerFrame) -> bool,
    ) -> Result<ServerFrame, ClientError> {
        loop {
            let frame = self.next_frame().await?;
            if wanted(&frame) {
                return Ok(frame);
            }
        }
    }

    /// The next posted message's author and body, skipping presence updates.
    pub async fn next_message(&mut self) -> Result<(String, String), ClientError> {
        match self
            .next_matching(|f| matches!(f, ServerFrame::Message { .. } | ServerFrame::Error { .. }))
            .await?
        {
            ServerFrame::Message { message } => Ok((message.author, message.body)),
            other => Err(ClientError::Request(format!(
                "expected a message, got {other:?}"
            ))),
        }
    }

    /// Reads until the server closes; returns the close code (`None`: the connection just
    /// ended) and how many frames came before it.
    pub async fn until_closed(&mut self) -> (Option<u16>, usize) {
        let mut frames = 0;
        loop {
            match self.next_frame().await {
                Ok(_) => frames += 1,
                Err(ClientError::Closed { code, .. }) => return (code, frames),
                Err(ClientError::Decode(_)) => frames += 1,
                Err(_) => return (None, frames),
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) -> Result<(), ClientError> {
        Ok(self.ws.close(None).await?)
    }
}
