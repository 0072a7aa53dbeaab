//! The fake API's `handle`, on any sequence of requests (method, path, headers, body): it
//! never panics, always answers the API's envelope or the edge's HTML, and changes its
//! state only when it answers 200 to an upload (`POST`) or a delete (`DELETE`).
#![no_main]

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::http::{HeaderName, HeaderValue, Method, Request};
use cloudflare_mtls::{AccountId, Certificate};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const TOKEN: &str = "fuzz-token";
const CERT: &str = include_str!("../../tests/fixtures/ca-p256.pem");
const KEY: &str = include_str!("../../tests/fixtures/leaf-p256-key.pem");

#[derive(Debug, Arbitrary)]
enum Path {
    List,
    One { known: bool },
    Associations { known: bool },
    Memberships,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Auth {
    Token,
    WrongToken,
    Raw(String),
    Key(String, String),
    None,
}

#[derive(Debug, Arbitrary)]
enum Body {
    Empty,
    Upload { ca: Option<bool>, certificate: bool, name: Option<String>, key: Option<bool> },
    Json(String),
    Raw(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Call {
    method: u8,
    path: Path,
    query: Option<String>,
    auth: Auth,
    headers: Vec<(String, String)>,
    body: Body,
    fault: Option<u8>,
}

fn request(call: &Call, known_id: &str) -> Option<Request<Vec<u8>>> {
    let method = match call.method % 6 {
        0 | 1 => Method::GET,
        2 => Method::POST,
        3 => Method::DELETE,
        4 => Method::PUT,
        _ => Method::PATCH,
    };
    let base = format!("/client/v4/accounts/{ACCOUNT}/mtls_certificates");
    let id = |known: bool| if known { known_id.to_string() } else { "ffffffffffffffffffffffffffffffff".into() };
    let mut uri = match &call.path {
        Path::List => base,
        Path::One { known } => format!("{base}/{}", id(*known)),
        Path::Associations { known } => format!("{base}/{}/associations", id(*known)),
        Path::Memberships => "/client/v4/memberships".into(),
        Path::Raw(raw) => raw.clone(),
    };
    if let Some(q) = &call.query {
        uri = format!("{uri}?{q}");
    }
    let body = match &call.body {
        Body::Empty => Vec::new(),
        Body::Upload { ca, certificate, name, key } => {
            let mut v = serde_json::json!({});
            if let Some(ca) = ca {
                v["ca"] = (*ca).into();
            }
            v["certificates"] = if *certificate { CERT.into() } else { KEY.into() };
            if let Some(n) = name {
                v["name"] = n.as_str().into();
            }
            if let Some(k) = key {
                v["private_key"] = if *k { KEY.into() } else { CERT.into() };
            }
            serde_json::to_vec(&v).ok()?
        }
        Body::Json(text) => text.clone().into_bytes(),
        Body::Raw(bytes) => bytes.clone(),
    };
    let mut request = Request::builder().method(method).uri(uri).body(body).ok()?;
    let headers = request.headers_mut();
    let mut set = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(n, v);
        }
    };
    match &call.auth {
        Auth::Token => set("authorization", &format!("Bearer {TOKEN}")),
        Auth::WrongToken => set("authorization", "Bearer wrong"),
        Auth::Raw(v) => set("authorization", v),
        Auth::Key(email, key) => {
            set("x-auth-email", email);
            set("x-auth-key", key);
        }
        Auth::None => {}
    }
    for (name, value) in &call.headers {
        set(name, value);
    }
    Some(request)
}

fuzz_target!(|calls: Vec<Call>| {
    let now = cloudflare_mtls::time::OffsetDateTime::from_unix_timestamp(1_780_315_200).expect("a date");
    let mut api = FakeApi::new(TOKEN, AccountId::new(ACCOUNT).expect("valid"));
    let seeded = Certificate::default();
    let known = api.insert(seeded).expect("an ID");
    for call in calls.iter().take(16) {
        let Some(request) = request(call, known.as_str()) else { continue };
        if let Some(f) = call.fault {
            api.fail_next(match f % 4 {
                0 => Fault::Html(500 + u16::from(f % 5)),
                1 => Fault::AfterCall(Box::new(Fault::Html(502))),
                2 => Fault::Api(400, 1000, "scripted".into()),
                _ => Fault::Disconnect,
            });
        }
        let before = api.certificates();
        let after_call = matches!(call.fault, Some(f) if f % 4 == 1);
        let response = api.handle(&request, now);
        let after = api.certificates();
        let status = response.status();
        if before != after {
            let acted = request.method() == Method::POST || request.method() == Method::DELETE;
            assert!(acted, "{} changed the state", request.method());
            assert!(status == 200 || after_call, "a {status} changed the state");
        }
        let body = response.body();
        let json = serde_json::from_slice::<serde_json::Value>(body).ok();
        let html = body.starts_with(b"<html>");
        let dropped = body.is_empty() && status == 502;
        assert!(
            json.as_ref().is_some_and(|v| v.get("success").is_some()) || html || dropped,
            "not an envelope: {status} {body:?}"
        );
        if let Some(v) = json {
            assert_eq!(v["success"] == true, status == 200, "success flag and status disagree: {status} {v}");
        }
    }
});
