//! The `fetch` client for real, in a WASM module under Node (wasm-bindgen-test-runner),
//! against the fake on loopback: `.ci/run` starts `cargo run --example scripted-fake` and
//! builds this with `CF_MTLS_FAKE_API` and `CF_MTLS_FAKE_CONTROL` set to what it printed.
//! The five calls, `list_all` across pages, the hostname associations, API errors, a 429's
//! `Retry-After` waited out, an HTML 502 retried, a redirect not followed.
#![cfg(all(target_arch = "wasm32", feature = "fetch"))]

use cloudflare_mtls::{
    AccountId, BaseUrl, CertificateId, Config, Credentials, Deleted, Hostname, List, ReplaceHostnames, RetryPolicy,
    Upload, ZoneId,
};
use futures_util::TryStreamExt;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const API: &str = env!("CF_MTLS_FAKE_API");
const CONTROL: &str = env!("CF_MTLS_FAKE_CONTROL");
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_str_and_init(url: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
}

/// `POST CONTROL/path`: queue a fault, or reset the fake.
async fn control(path: &str) {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let response: web_sys::Response =
        JsFuture::from(fetch_with_str_and_init(&format!("{CONTROL}{path}"), &init)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 204, "{path}");
}

fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

fn client() -> cloudflare_mtls::fetch::Client {
    let config = Config::new(Credentials::api_token("fake-token").unwrap()).with_base_url(BaseUrl::new(API).unwrap());
    let retry = RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(10));
    cloudflare_mtls::fetch::Builder::new(config).with_retry(retry).build()
}

#[wasm_bindgen_test]
async fn five_calls_and_list_all_across_pages() {
    control("/reset").await;
    let client = client();
    let mut ids = Vec::new();
    for (name, pem) in [
        ("p256", include_str!("fixtures/ca-p256.pem")),
        ("rsa", include_str!("fixtures/ca-rsa2048.pem")),
        ("ed25519", include_str!("fixtures/ca-ed25519.pem")),
    ] {
        let stored = client.upload(&Upload::ca(account(), pem).with_name(name)).await.unwrap();
        assert_eq!(stored.name.as_deref(), Some(name));
        ids.push(stored.id().clone());
    }
    let all: Vec<_> = client.list_all(List::new(account()).with_per_page(2)).try_collect().await.unwrap();
    assert_eq!(all.iter().map(|c| c.id.clone().unwrap()).collect::<Vec<_>>(), ids);
    let page = client.list(&List::new(account()).with_name("rsa")).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(client.get(&account(), &ids[0]).await.unwrap().name.as_deref(), Some("p256"));
    assert!(client.associations(&account(), &ids[0]).await.unwrap().items.is_empty());
    assert!(matches!(client.delete(&account(), &ids[0]).await.unwrap(), Deleted::Returned(_)));
    assert!(client.get(&account(), &ids[0]).await.unwrap_err().is_not_found());
}

/// The zone the scripted fake has (`examples/scripted-fake.rs`), named `example.com`.
const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

#[wasm_bindgen_test]
async fn hostname_associations_from_upload_to_delete() {
    control("/reset").await;
    let client = client();
    let zone = ZoneId::new(ZONE).unwrap();
    let ca = client.upload(&Upload::ca(account(), include_str!("fixtures/ca-p256.pem"))).await.unwrap().id().clone();
    let names = vec![Hostname::new("api.example.com").unwrap(), Hostname::new("*.example.com").unwrap()];
    let replace = ReplaceHostnames::new(zone.clone(), names).with_certificate(ca.clone());
    assert_eq!(client.replace_hostnames(&replace).await.unwrap().hostnames, ["api.example.com", "*.example.com"]);
    assert_eq!(client.hostnames(&zone, Some(&ca)).await.unwrap().hostnames, ["api.example.com", "*.example.com"]);
    assert!(client.hostnames(&zone, None).await.unwrap().hostnames.is_empty());
    let refused = client.delete(&account(), &ca).await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400), "{refused}");
    let empty = ReplaceHostnames::empty(zone.clone()).with_certificate(ca.clone());
    assert!(client.replace_hostnames(&empty).await.unwrap().hostnames.is_empty());
    assert!(matches!(client.delete(&account(), &ca).await.unwrap(), Deleted::Returned(_)));
}

#[wasm_bindgen_test]
async fn api_errors_are_typed() {
    let client = client();
    let missing = client.get(&account(), &CertificateId::new("0000").unwrap()).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    let other = AccountId::new("ffffffffffffffffffffffffffffffff").unwrap();
    let forbidden = client.list(&List::new(other)).await.unwrap_err();
    assert_eq!(forbidden.status().map(|s| s.as_u16()), Some(403), "{forbidden}");
    assert!(forbidden.is_auth_error());
}

#[wasm_bindgen_test]
async fn a_429_is_waited_out() {
    let client = client();
    control("/fail-next/api-429").await;
    let started = js_sys::Date::now();
    client.list(&List::new(account())).await.unwrap();
    let waited = js_sys::Date::now() - started;
    assert!(waited >= 900.0, "Retry-After: 1 was not waited out ({waited} ms)");
}

#[wasm_bindgen_test]
async fn an_html_502_is_retried() {
    let client = client();
    control("/fail-next/html-502").await;
    client.list(&List::new(account())).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_redirect_is_not_followed() {
    let client = client();
    control("/fail-next/redirect").await;
    let error = client.list(&List::new(account())).await.unwrap_err();
    // Node's fetch hands the 302 back; the core reports it as an HTTP error (a browser
    // would hide it, and the transport says so).
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302), "{error}");
}
