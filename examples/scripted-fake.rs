//! The fake API with a control port, for testing a client written in anything (a WASM
//! module under Node, a script): before a call, `POST /fail-next/FAULT` on the control port
//! queues what the fake answers instead.
//!
//! ```sh
//! cargo run --example scripted-fake --features fake-server -- [--token TOKEN]
//! ```
//!
//! It prints one line, `API=http://127.0.0.1:P/client/v4 CONTROL=http://127.0.0.1:Q`, and
//! serves until killed. Faults: `html-502` (the edge's HTML page), `api-429` (with
//! `Retry-After: 1`), `api-500`, `redirect` (a 302 to another host), `disconnect`.
//! `POST /reset` empties the store. The account has one zone, `ZONE` (`example.com`), for the
//! hostname associations. The control port answers with CORS headers, so a browser test
//! page can use it too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{AccountId, ZoneId};

fn fault(name: &str) -> Option<Fault> {
    let header = |fault: Fault, name: &str, value: &str| Fault::WithHeader(Box::new(fault), name.into(), value.into());
    Some(match name {
        "html-502" => Fault::Html(502),
        "api-429" => header(
            Fault::Api(429, 971, "Please wait and consider throttling your request speed".into()),
            "retry-after",
            "1",
        ),
        "api-500" => Fault::Api(500, 10000, "Internal error".into()),
        "redirect" => {
            header(Fault::Raw(302, "text/plain".into(), Vec::new()), "location", "http://127.0.0.1:9/elsewhere")
        }
        "disconnect" => Fault::Disconnect,
        _ => return None,
    })
}

/// The zone every fresh fake has (`tests/fetch_node.rs` names it too).
const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

/// An empty fake of `account`, with its zone.
fn fresh(token: &str, account: &AccountId) -> std::io::Result<FakeApi> {
    let zone = ZoneId::new(ZONE).map_err(std::io::Error::other)?;
    FakeApi::new(token, account.clone()).with_zone(zone, "example.com").map_err(std::io::Error::other)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut token = "fake-token".to_owned();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--token", Some(value)) => token = value,
            _ => {
                eprintln!("usage: scripted-fake [--token TOKEN]");
                std::process::exit(2);
            }
        }
    }
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").map_err(std::io::Error::other)?;
    let server = Arc::new(FakeServer::start(fresh(&token, &account)?)?);
    let control = TcpListener::bind("127.0.0.1:0")?;
    println!("API={} CONTROL=http://{}", server.base_url(), control.local_addr()?);
    std::io::stdout().flush()?;
    for stream in control.incoming() {
        // One client's broken request must not stop the fake.
        if let Err(e) = stream.and_then(|stream| answer(&server, &token, &account, stream)) {
            eprintln!("scripted-fake: the control port: {e}");
        }
    }
    Ok(())
}

/// Reads one request from the control port (its body too: closing with unread bytes would
/// reset the connection before the client reads the answer), acts on it and answers.
fn answer(server: &FakeServer, token: &str, account: &AccountId, mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? <= 2 {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or_default();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    if chunked {
        // Chunk sizes and data, up to the empty line after the last (zero) chunk.
        let mut last = false;
        loop {
            let mut chunk = String::new();
            if reader.read_line(&mut chunk)? == 0 || (last && chunk.trim().is_empty()) {
                break;
            }
            last |= chunk.trim() == "0";
        }
    } else {
        std::io::copy(&mut reader.by_ref().take(length as u64), &mut std::io::sink())?;
    }
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let status = match (method, path.strip_prefix("/fail-next/"), path) {
        ("OPTIONS", ..) => "204 No Content",
        ("POST", Some(name), _) => match fault(name) {
            Some(fault) => {
                server.with_api(|api| api.fail_next(fault));
                "204 No Content"
            }
            None => "404 Not Found",
        },
        ("POST", None, "/reset") => {
            let api = fresh(token, account)?;
            server.with_api(|old| *old = api);
            "204 No Content"
        }
        _ => "404 Not Found",
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\naccess-control-allow-origin: *\r\naccess-control-allow-methods: POST\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
}
