//! A scripted HTTP/1.1 server on a plain `std::net` socket, for the faults a real server
//! does not produce on demand: stalls, bodies cut short, redirects, exact bytes on the wire.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cloudflare_mtls::BaseUrl;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Writes these bytes and keeps the connection open for the next request.
    Bytes(Vec<u8>),
    /// Writes these bytes and closes the connection.
    BytesThenClose(Vec<u8>),
    /// Never answers (the connection stays open for a minute).
    Stall,
    /// Writes these bytes one every 200 ms, then closes.
    #[allow(dead_code)] // Only the CLI tests drip.
    Drip(Vec<u8>),
    /// Writes the bytes made for the request's number (from 0) and keeps the connection open:
    /// endless pages, each different, without holding them all.
    #[allow(dead_code)] // Only the CLI tests generate.
    Generated(fn(usize) -> Vec<u8>),
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The headers, names in lower case, in the order they came.
    pub headers: Vec<(String, String)>,
    /// The body (read by `content-length`).
    pub body: Vec<u8>,
}

impl Recorded {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The server: replies from a script in order, the last one repeated.
pub struct Scripted {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
}

impl Scripted {
    /// Listens on 127.0.0.1 and serves `script`.
    pub fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (reqs, conns) = (requests.clone(), connections.clone());
        // The thread lives as long as the test process; a blocked accept costs nothing.
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                conns.fetch_add(1, Ordering::SeqCst);
                let (reqs, script) = (reqs.clone(), script.clone());
                thread::spawn(move || serve(stream, &reqs, &script));
            }
        });
        Self { addr, requests, connections }
    }

    /// `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> BaseUrl {
        BaseUrl::new(format!("http://{}/client/v4", self.addr)).unwrap()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, requests: &Mutex<Vec<Recorded>>, script: &[Reply]) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let (reply, number) = {
            let mut all = requests.lock().unwrap();
            all.push(request);
            (script[(all.len() - 1).min(script.len() - 1)].clone(), all.len() - 1)
        };
        match reply {
            Reply::Bytes(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Reply::BytesThenClose(bytes) => {
                let _ = writer.write_all(&bytes);
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return;
            }
            Reply::Generated(make) => {
                if writer.write_all(&make(number)).is_err() {
                    return;
                }
            }
            Reply::Stall => {
                thread::sleep(Duration::from_secs(60));
                return;
            }
            Reply::Drip(bytes) => {
                for byte in bytes {
                    if writer.write_all(&[byte]).is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(200));
                }
                return;
            }
        }
    }
}

/// Reads one request; `None` at end of stream or on garbage.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Recorded> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded { method, target, headers, body })
}

/// A complete response with `content-length`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A JSON 200 with the API's success envelope around `result`.
pub fn ok_json(result: &str) -> Reply {
    ok_body(&format!(r#"{{"success":true,"errors":[],"messages":[],"result":{result}}}"#))
}

/// A JSON 200 with this body.
pub fn ok_body(body: &str) -> Reply {
    Reply::Bytes(response(200, &[("content-type", "application/json")], body.as_bytes()))
}

/// A base URL where nothing listens: a port bound, then released.
pub fn refused_base_url() -> BaseUrl {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    BaseUrl::new(format!("http://{addr}/client/v4")).unwrap()
}
