//! A small SMTP server for tests: speaks enough of RFC 5321 for lettre and records each message.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as received.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

/// A running server on 127.0.0.1 and a free port.
pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server that answers `rcpt_reply` (e.g. "250 OK", "550 5.1.1 Unknown user") to RCPT.
pub async fn start(rcpt_reply: &'static str) -> SmtpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let mut current = Received::default();
                w.write_all(b"220 localhost ESMTP test\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250-localhost\r\n250-8BITMIME\r\n250 SIZE 52428800".into()
                    } else if upper.starts_with("MAIL FROM:") {
                        current = Received {
                            mail_from: line[10..].trim().into(),
                            ..Received::default()
                        };
                        "250 OK".into()
                    } else if upper.starts_with("RCPT TO:") {
                        current.rcpt_to.push(line[8..].trim().into());
                        rcpt_reply.into()
                    } else if upper == "DATA" {
                        w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await
                            .ok();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            let l = l.strip_prefix('.').map_or(l.as_str(), |rest| {
                                if l.starts_with("..") {
                                    rest
                                } else {
                                    l.as_str()
                                }
                            });
                            data.push_str(l);
                            data.push_str("\r\n");
                        }
                        current.data = data;
                        store.lock().unwrap().push(std::mem::take(&mut current));
                        "250 OK queued".into()
                    } else if upper == "QUIT" {
                        w.write_all(b"221 Bye\r\n").await.ok();
                        break;
                    } else if upper == "RSET" || upper == "NOOP" {
                        "250 OK".into()
                    } else {
                        "502 Command not implemented".into()
                    };
                    if w.write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    SmtpServer {
        port,
        received,
        task,
    }
}
