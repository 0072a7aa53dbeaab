//! Property tests: the envelope decoder on arbitrary bytes, statuses, headers and JSON; the
//! success round trip of arbitrary certificates; the pager against simulated servers; and
//! identifiers as path segments. Runs natively and under `wasm32-wasip1`.
#![cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]

use cloudflare_mtls::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use cloudflare_mtls::time::{OffsetDateTime, UtcOffset};
use cloudflare_mtls::{
    AccountId, ApiMessage, Associations, Certificate, CertificateId, CertificateType, Config, Credentials, Delete,
    Endpoint, ErrorSource, Get, List, Pager, ResponseError, ResultInfo, Timestamp, decode,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Value, json};

#[path = "support/invariants.rs"]
mod invariants;

use invariants::check_all;

// ---------------------------------------------------------------------------------------------
// Strategies

fn status() -> impl Strategy<Value = StatusCode> {
    // Half the cases in 2xx, where most of the decoder's branches are.
    prop_oneof![200u16..=299, 100u16..=999].prop_map(|s| StatusCode::from_u16(s).unwrap())
}

fn non_2xx() -> impl Strategy<Value = StatusCode> {
    prop_oneof![100u16..=199, 300u16..=999].prop_map(|s| StatusCode::from_u16(s).unwrap())
}

/// `Retry-After` and friends, well-formed or not (but always valid header values).
fn headers() -> impl Strategy<Value = HeaderMap> {
    let value = prop_oneof![
        "[0-9]{1,8}",
        "-?[0-9]{0,4}\\.[0-9]{0,4}",
        "(Mon|Wed|Sun), [0-3][0-9] (Jan|Oct|Dec) (1970|2015|2099) [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT",
        "[ -~]{0,24}",
    ];
    let names = prop_oneof![
        Just("retry-after"),
        Just("retry-after-ms"),
        Just("date"),
        Just("x-should-retry"),
        Just("content-type")
    ];
    vec((names, value), 0..4).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_str(&value).unwrap());
        }
        map
    })
}

const FIELDS: &[&str] = &[
    "success",
    "errors",
    "messages",
    "result",
    "result_info",
    "code",
    "message",
    "error_chain",
    "source",
    "pointer",
    "documentation_url",
    "id",
    "name",
    "ca",
    "certificates",
    "expires_on",
    "uploaded_on",
    "updated_at",
    "serial_number",
    "type",
    "service",
    "status",
    "page",
    "per_page",
    "count",
    "total_count",
    "total_pages",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => proptest::sample::select(FIELDS).prop_map(str::to_owned), 1 => ".{0,6}"]
}

/// Arbitrary JSON, biased towards the values the models expect.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[a-z0-9]{1,32}".prop_map(Value::String),
        date().prop_map(|d| Value::String(rfc3339(d.get()))),
        proptest::sample::select(&["custom", "gateway_managed", "access_managed", "new_kind"][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An envelope-shaped object: each of the five keys absent or holding arbitrary JSON.
fn envelope_value() -> BoxedStrategy<Value> {
    let success = prop_oneof![any::<bool>().prop_map(Value::Bool), json_value()];
    let messages = prop_oneof![
        Just(Value::Null),
        vec(api_message(), 0..3).prop_map(|m| serde_json::to_value(m).unwrap()),
        json_value()
    ];
    let result = prop_oneof![
        vec(certificate(), 0..3).prop_map(|c| serde_json::to_value(c).unwrap()),
        certificate().prop_map(|c| serde_json::to_value(c).unwrap()),
        json_value(),
    ];
    (
        option::of(success),
        option::of(messages.clone()),
        option::of(messages),
        option::of(result),
        option::of(json_value()),
        option::of((key(), json_value())),
    )
        .prop_map(|(success, errors, messages, result, result_info, extra)| {
            let mut map = serde_json::Map::new();
            // The extra key first: a known key generated here is overwritten by its real value.
            if let Some((k, v)) = extra {
                map.insert(k, v);
            }
            for (k, v) in [
                ("success", success),
                ("errors", errors),
                ("messages", messages),
                ("result", result),
                ("result_info", result_info),
            ] {
                if let Some(v) = v {
                    map.insert(k.to_owned(), v);
                }
            }
            Value::Object(map)
        })
        .boxed()
}

/// (status, `success`, whether `errors` is present) of a body that must be an API error: any
/// envelope marker under a non-2xx status, or `success: false` under a 2xx one.
fn failure_shape() -> impl Strategy<Value = (StatusCode, Option<bool>, bool)> {
    let two_xx = (200u16..=299).prop_map(|s| StatusCode::from_u16(s).unwrap());
    prop_oneof![
        (non_2xx(), option::of(any::<bool>()), any::<bool>()).prop_map(|(status, success, errors)| (
            status,
            success,
            errors || success.is_none()
        )),
        (two_xx, any::<bool>()).prop_map(|(status, errors)| (status, Some(false), errors)),
    ]
}

fn date() -> impl Strategy<Value = Timestamp> {
    // 1970 to 2200, whole seconds or with nanoseconds, in UTC or another whole-minute offset.
    let nanos = prop_oneof![Just(0u32), 0u32..1_000_000_000];
    let offset = prop_oneof![Just(0i32), -1439i32..=1439];
    (0i64..7_258_118_400, nanos, offset).prop_map(|(secs, nanos, minutes)| {
        OffsetDateTime::from_unix_timestamp(secs)
            .unwrap()
            .replace_nanosecond(nanos)
            .unwrap()
            .to_offset(UtcOffset::from_whole_seconds(minutes * 60).unwrap())
            .into()
    })
}

fn rfc3339(d: OffsetDateTime) -> String {
    d.format(&cloudflare_mtls::time::format_description::well_known::Rfc3339).unwrap()
}

fn id() -> impl Strategy<Value = CertificateId> {
    "[A-Za-z0-9._~-]{1,40}".prop_filter_map("not a valid ID", |s| CertificateId::new(s).ok())
}

fn kind() -> impl Strategy<Value = CertificateType> {
    prop_oneof![
        Just(CertificateType::Custom),
        Just(CertificateType::GatewayManaged),
        Just(CertificateType::AccessManaged),
        any::<String>()
            .prop_filter("a known type", |s| !matches!(s.as_str(), "custom" | "gateway_managed" | "access_managed"))
            .prop_map(CertificateType::Other),
    ]
}

fn certificate() -> BoxedStrategy<Certificate> {
    let text = || option::of(any::<String>());
    (
        option::of(id()),
        text(),
        option::of(any::<bool>()),
        text(),
        option::of(date()),
        text(),
        option::of(prop_oneof!["[0-9]{1,60}", any::<String>()]),
        text(),
        option::of(date()),
        option::of(date()),
        option::of(kind()),
    )
        .prop_map(|fields| {
            let mut c = Certificate::default();
            (
                c.id,
                c.name,
                c.ca,
                c.certificates,
                c.expires_on,
                c.issuer,
                c.serial_number,
                c.signature,
                c.uploaded_on,
                c.updated_at,
                c.kind,
            ) = fields;
            c
        })
        .boxed()
}

fn api_message() -> BoxedStrategy<ApiMessage> {
    let leaf = (any::<i64>(), any::<String>(), option::of(any::<String>()), option::of(option::of(any::<String>())))
        .prop_map(|(code, message, url, pointer)| {
            let mut m = ApiMessage::new(code, message);
            m.documentation_url = url;
            m.source = pointer.map(|p| {
                let mut s = ErrorSource::default();
                s.pointer = p;
                s
            });
            m
        });
    leaf.prop_recursive(2, 6, 3, |inner| {
        (inner.clone(), vec(inner, 0..3)).prop_map(|(mut m, chain)| {
            m.error_chain = chain;
            m
        })
    })
    .boxed()
}

fn result_info() -> impl Strategy<Value = Option<ResultInfo>> {
    option::of(
        (1u64..100, 1u64..100, 0u64..100, 0u64..10_000).prop_map(|(p, pp, c, t)| ResultInfo::for_page(p, pp, c, t)),
    )
}

fn to_response(status: StatusCode, headers: &HeaderMap, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = headers.clone();
    r
}

// ---------------------------------------------------------------------------------------------
// The decoder

proptest! {
    /// Any bytes, any status, any headers: no panic, and the classification rules hold.
    #[test]
    fn arbitrary_bytes_are_classified(status in status(), headers in headers(), body in vec(any::<u8>(), 0..300)) {
        check_all(status, &headers, &body);
    }

    /// Arbitrary JSON values, bare or wrapped in envelopes, through every result type.
    #[test]
    fn arbitrary_json_is_classified(
        status in status(),
        headers in headers(),
        value in prop_oneof![1 => json_value(), 4 => envelope_value()],
        pretty in any::<bool>(),
    ) {
        let body = if pretty { serde_json::to_vec_pretty(&value) } else { serde_json::to_vec(&value) }.unwrap();
        check_all(status, &headers, &body);
    }

    /// Valid JSON with a byte changed, cut short or padded: the near misses a server produces.
    #[test]
    fn damaged_envelopes_are_classified(
        status in status(),
        value in envelope_value(),
        at in any::<proptest::sample::Index>(),
        byte in any::<u8>(),
        how in 0u8..3,
    ) {
        let mut body = serde_json::to_vec(&value).unwrap();
        let i = at.index(body.len());
        match how {
            0 => body[i] = byte,
            1 => body.truncate(i),
            _ => body.insert(i, byte),
        }
        check_all(status, &HeaderMap::new(), &body);
    }

    /// A well-formed failure envelope under a non-2xx status is an API error carrying every
    /// error and message, whatever `success` says; under a 2xx status, `success: false` is too.
    #[test]
    fn failure_envelopes_are_api_errors(
        (status, success, errors_key) in failure_shape(),
        headers in headers(),
        errors in vec(api_message(), 0..4),
        errors_null in any::<bool>(),
        messages in vec(api_message(), 0..3),
        result in json_value(),
    ) {
        let mut env = json!({"messages": messages, "result": result});
        if let Some(s) = success {
            env["success"] = json!(s);
        }
        let errors = if errors_null { Vec::new() } else { errors };
        if errors_key {
            env["errors"] = if errors_null { Value::Null } else { json!(errors) };
        }
        let body = serde_json::to_vec(&env).unwrap();
        check_all(status, &headers, &body);
        let get = Get::new(AccountId::new("a").unwrap(), CertificateId::new("c").unwrap());
        match get.parse_response(&to_response(status, &headers, body)) {
            Err(ResponseError::Api(e)) => {
                prop_assert_eq!(e.errors, if errors_key { errors } else { Vec::new() });
                prop_assert_eq!(e.messages, messages);
                prop_assert_eq!(e.status, status);
            }
            other => prop_assert!(false, "expected an API error, got {:?}", other),
        }
    }

    /// Non-JSON bodies (HTML, text, binary) under a non-2xx status: an HTTP error with the
    /// exact bytes; under a 2xx status: a decode error with the exact bytes.
    #[test]
    fn non_json_bodies_keep_their_bytes(
        status in status(),
        body in prop_oneof![
            "<(html|h1|p)>[ -~]{0,60}".prop_map(String::into_bytes),
            "[ -~]{0,40}".prop_map(String::into_bytes),
            vec(any::<u8>(), 0..64),
        ],
    ) {
        prop_assume!(serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err());
        match decode::<Vec<Certificate>>(status, &HeaderMap::new(), &body) {
            Err(ResponseError::Http(e)) => {
                prop_assert!(!status.is_success());
                prop_assert_eq!(e.body, body);
            }
            Err(ResponseError::Decode(e)) => {
                prop_assert!(status.is_success());
                prop_assert_eq!(e.body, body);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// A serialised success envelope of arbitrary certificates decodes to equal values.
    #[test]
    fn success_envelopes_round_trip(
        status in (200u16..=299).prop_map(|s| StatusCode::from_u16(s).unwrap()),
        certs in vec(certificate(), 0..4),
        info in result_info(),
        success_key in prop_oneof![Just(Some(true)), Just(None)],
        null_lists in any::<bool>(),
    ) {
        let lists = if null_lists { Value::Null } else { json!([]) };
        let mut env = json!({"errors": lists.clone(), "messages": lists, "result": certs});
        if let Some(info) = info {
            env["result_info"] = json!(info);
        }
        if let Some(s) = success_key {
            env["success"] = json!(s);
        }
        let body = serde_json::to_vec(&env).unwrap();
        let success = decode::<Vec<Certificate>>(status, &HeaderMap::new(), &body).unwrap();
        prop_assert_eq!(&success.result, &certs);
        prop_assert_eq!(success.result_info, info);
        let page = List::new(AccountId::new("a").unwrap()).parse_response(&to_response(status, &HeaderMap::new(), body)).unwrap();
        prop_assert_eq!(&page.items, &certs);
        for cert in certs {
            let body = serde_json::to_vec(&json!({"success": true, "result": cert})).unwrap();
            // The ID asked for is the one answered (a certificate without one is no answer to a get).
            let Some(id) = cert.id.clone() else { continue };
            let get = Get::new(AccountId::new("a").unwrap(), id);
            prop_assert_eq!(get.parse_response(&to_response(status, &HeaderMap::new(), body)).unwrap(), cert);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pager against a simulated server

/// How the simulated server fills `result_info`.
#[derive(Debug, Clone, Copy)]
enum Info {
    /// Every field, correct.
    Full,
    /// `page`, `per_page`, `count` and `total_count`, no `total_pages`.
    NoTotalPages,
    /// `page` and `per_page` only: the pager has only short pages to go by.
    PageOnly,
    /// None at all: the pager must stop after the first page.
    Absent,
    /// Every field, with the page size capped by the server below what was asked.
    Capped(u64),
}

fn info_kind() -> impl Strategy<Value = Info> {
    prop_oneof![
        Just(Info::Full),
        Just(Info::NoTotalPages),
        Just(Info::PageOnly),
        Just(Info::Absent),
        (1u64..60).prop_map(Info::Capped),
    ]
}

/// The `page` and `per_page` a list request asks for.
fn asked(query: &str) -> (u64, u64) {
    let value = |key: &str| {
        query.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse::<u64>().ok()).unwrap()
    };
    (value("page"), value("per_page"))
}

/// Serves one page of `data` as the API would.
fn serve(data: &[Value], page: u64, per_page: u64, info: Info) -> Vec<u8> {
    let per_page = match info {
        Info::Capped(cap) => per_page.min(cap),
        _ => per_page,
    };
    let total = data.len() as u64;
    let start = (page - 1).saturating_mul(per_page).min(total) as usize;
    let end = page.saturating_mul(per_page).min(total) as usize;
    let items = &data[start..end];
    let full = ResultInfo::for_page(page, per_page, items.len() as u64, total);
    let info = match info {
        Info::Full | Info::Capped(_) => json!(full),
        Info::NoTotalPages => json!({"page": page, "per_page": per_page, "count": items.len(), "total_count": total}),
        Info::PageOnly => json!({"page": page, "per_page": per_page}),
        Info::Absent => Value::Null,
    };
    serde_json::to_vec(&json!({"success": true, "errors": [], "messages": [], "result": items, "result_info": info}))
        .unwrap()
}

proptest! {
    /// The pages concatenate to the data set, in at most ceil(n / per_page) + 1 requests
    /// (one page only when the server sends no `result_info`).
    #[test]
    fn pager_concatenates_the_data_set(total in 0usize..500, per_page in 1u32..60, info in info_kind()) {
        let data: Vec<Value> = (0..total).map(|i| json!({"id": format!("c{i}"), "name": format!("cert {i}")})).collect();
        let config = Config::new(Credentials::api_token("t").unwrap());
        let mut pager = Pager::new(List::new(AccountId::new("acc").unwrap()).with_per_page(per_page));
        let served_per_page = match info {
            Info::Capped(cap) => u64::from(per_page).min(cap),
            _ => u64::from(per_page),
        };
        let bound = (total as u64).div_ceil(served_per_page) + 1;
        let (mut got, mut requests) = (Vec::new(), 0u64);
        while let Some(call) = pager.next_call() {
            requests += 1;
            prop_assert!(requests <= bound, "more than {} requests", bound);
            let request = call.to_request(&config).unwrap();
            let (page, asked_per_page) = asked(request.uri().query().unwrap());
            prop_assert_eq!(asked_per_page, u64::from(per_page));
            let body = serve(&data, page, asked_per_page, info);
            let page = call.parse_response(&to_response(StatusCode::OK, &HeaderMap::new(), body)).unwrap();
            pager.on_page(&page).unwrap();
            got.extend(page.items.into_iter().map(|c| c.id.unwrap().into_string()));
        }
        let ids: Vec<String> = (0..total).map(|i| format!("c{i}")).collect();
        match info {
            Info::Absent => {
                prop_assert_eq!(requests, 1);
                prop_assert_eq!(&got[..], &ids[..total.min(per_page as usize)]);
            }
            _ => prop_assert_eq!(got, ids),
        }
    }
}

proptest! {
    /// A server that answers each asked page with any of its pages (with the asked page's
    /// number, so nothing but the IDs can tell): no ID is ever handed out twice; the walk fails
    /// with `Repeated` at the first page that repeats an earlier one, whatever came between.
    #[test]
    fn pager_never_hands_out_an_id_twice(pages in 1u64..6, schedule in vec(0u64..6, 1..12)) {
        let per_page = 3u64;
        let mut pager = Pager::new(List::new(AccountId::new("acc").unwrap()).with_per_page(per_page as u32));
        let (mut got, mut served) = (std::collections::BTreeSet::new(), Vec::new());
        for &index in &schedule {
            let Some(call) = pager.next_call() else { break };
            let asked = u64::from(call.page.unwrap());
            let index = index % pages;
            let items: Vec<Certificate> = (index * per_page..(index + 1) * per_page)
                .map(|i| {
                    let mut c = Certificate::default();
                    c.id = Some(CertificateId::new(format!("c{i}")).unwrap());
                    c
                })
                .collect();
            let info = ResultInfo::for_page(asked, per_page, per_page, u64::MAX);
            let repeat = served.contains(&index);
            served.push(index);
            match pager.on_page(&cloudflare_mtls::Page::new(items.clone(), Some(info))) {
                Ok(()) => {
                    prop_assert!(!repeat, "page {} repeats an earlier one and was taken", asked);
                    for c in items {
                        prop_assert!(got.insert(c.id.unwrap()), "an ID handed out twice");
                    }
                }
                Err(cloudflare_mtls::PagerError::Repeated { first, page, .. }) => {
                    prop_assert!(repeat && page == asked && first < page, "{} {}", first, page);
                    prop_assert!(pager.is_done());
                }
                Err(other) => prop_assert!(false, "{}", other),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers

fn id_input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9._~-]{0,12}",
        "[a-z0-9./%?#~ \\\\-]{0,8}",
        "[a-f0-9]{32}",
        "[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}",
        "[.]{1,3}[a-z]{0,2}[.]{0,2}",
    ]
}

proptest! {
    /// An accepted ID is exactly one path segment in every request that carries one: the
    /// segment count never changes and the segment is the ID itself. A refused one keeps
    /// the input in its error.
    #[test]
    fn ids_are_one_path_segment(input in id_input(), other in id_input()) {
        let config = Config::new(Credentials::api_token("t").unwrap());
        let base_path = "/client/v4/accounts/acc/mtls_certificates/x";
        let segments = |path: &str| path.split('/').count();
        match (AccountId::new(input.clone()), CertificateId::new(input.clone())) {
            (Ok(account), Ok(id)) => {
                prop_assert_eq!(account.as_str(), input.as_str());
                prop_assert_eq!(id.as_str(), input.as_str());
                let get = Get::new(account.clone(), id.clone()).to_request(&config).unwrap();
                let path = get.uri().path();
                prop_assert_eq!(segments(path), segments(base_path));
                let parts: Vec<&str> = path.split('/').collect();
                prop_assert_eq!(parts[4], input.as_str());
                prop_assert_eq!(parts[6], input.as_str());
                prop_assert_eq!(get.uri().query(), None);
                let delete = Delete::new(account.clone(), id.clone()).to_request(&config).unwrap();
                prop_assert_eq!(delete.uri(), get.uri());
                let assoc = Associations::new(account.clone(), id.clone()).to_request(&config).unwrap();
                prop_assert_eq!(assoc.uri().path(), format!("{path}/associations"));
                prop_assert_eq!(assoc.uri().query(), None);
                // Mixed with another accepted ID, the two stay in their own segments.
                if let Ok(other) = CertificateId::new(other) {
                    let mixed = Get::new(account, other.clone()).to_request(&config).unwrap();
                    let parts: Vec<&str> = mixed.uri().path().split('/').collect();
                    prop_assert_eq!((parts.len(), parts[4], parts[6]), (7, input.as_str(), other.as_str()));
                }
                // Serde keeps the ID as a plain string, both ways.
                let text = serde_json::to_string(&id).unwrap();
                prop_assert_eq!(&text, &serde_json::to_string(&input).unwrap());
                prop_assert_eq!(serde_json::from_str::<CertificateId>(&text).unwrap(), id);
            }
            (Err(a), Err(c)) => {
                for err in [a, c] {
                    match err {
                        cloudflare_mtls::BuildError::InvalidId { value, .. } => prop_assert_eq!(value, input.clone()),
                        other => prop_assert!(false, "{:?}", other),
                    }
                }
                prop_assert!(serde_json::from_value::<CertificateId>(json!(input)).is_err());
            }
            (a, c) => prop_assert!(false, "account and certificate IDs disagree: {:?} / {:?}", a, c),
        }
    }
}
