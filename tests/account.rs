//! The account handle and the calls by name, against the fake served on loopback, on the
//! blocking (ureq) and async (hyper) clients: the same answers from both.
#![cfg(all(feature = "fake-server", feature = "ureq", feature = "hyper"))]

use std::time::{Duration, Instant};

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::time::OffsetDateTime;
use cloudflare_mtls::{AccountId, BuildError, ByNameError, Certificate, Deleted, Error, Upload};
use futures_util::TryStreamExt;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const OTHER: &str = "99999999999999999999999999999999";
const CA: &str = include_str!("fixtures/ca-p256.pem");
const CA_RSA: &str = include_str!("fixtures/ca-rsa2048.pem");

fn account_id() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

fn server() -> FakeServer {
    FakeServer::start(FakeApi::new("token", account_id())).unwrap()
}

/// A certificate named `name` stored behind the API's back (as another tool might have, since
/// the fake refuses a second upload of a name).
fn insert_named(server: &FakeServer, name: &str) -> String {
    let mut cert = Certificate::default();
    (cert.name, cert.ca) = (Some(name.into()), Some(true));
    server.with_api(|api| api.insert(cert)).unwrap().into_string()
}

#[test]
fn a_blocking_script_names_its_account_once() {
    let server = server();
    let account = server.test_client().unwrap().account(&account_id());
    assert_eq!(account.id(), &account_id());

    let stored = account.upload(&account.ca(CA).with_name("team-ca")).unwrap();
    assert_eq!(stored.name(), "team-ca");
    assert_eq!(stored.to_string(), format!("team-ca ({})", stored.id()));
    let now = OffsetDateTime::now_utc();
    assert!(stored.days_left(now).is_some_and(|d| d > 30), "{:?}", stored.expiry());
    assert!(!stored.expires_within(cloudflare_mtls::time::Duration::days(30), now));

    assert_eq!(account.get(stored.id()).unwrap().id(), stored.id());
    assert_eq!(account.list_all().count(), 1);
    assert_eq!(account.list_all_filtered(|list| list.with_ca(false)).count(), 0);
    assert_eq!(account.get_by_name("team-ca").unwrap().id(), stored.id());
    assert_eq!(account.find_by_name("team-ca").unwrap().map(|c| c.id().clone()).as_ref(), Some(stored.id()));

    let deleted = account.delete_by_name("team-ca").unwrap();
    assert!(matches!(&deleted, Deleted::Returned(cert) if cert.id() == stored.id()));
    assert_eq!(deleted.to_string(), stored.to_string());
    assert!(account.find_by_name("team-ca").unwrap().is_none(), "none is not an error for find");
    let gone = account.get_by_name("team-ca").unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(
        gone.to_string(),
        "get certificate: no certificate is named \"team-ca\" (names are compared exactly, case included)"
    );
    let gone = account.delete_by_name("team-ca").unwrap_err();
    assert!(matches!(gone, Error::ByName { source: ByNameError::NotFound { .. }, .. }), "{gone}");
}

#[test]
fn a_name_shared_by_two_certificates_is_an_error_that_lists_them_and_deletes_nothing() {
    let server = server();
    let first = insert_named(&server, "shared");
    let second = insert_named(&server, "shared");
    insert_named(&server, "Shared");
    let account = server.test_client().unwrap().account(&account_id());
    let error = account.delete_by_name("shared").unwrap_err();
    match &error {
        Error::ByName { source: ByNameError::Several { ids, .. }, .. } => assert_eq!(ids, &[first, second]),
        other => panic!("not a by-name error: {other}"),
    }
    assert!(!error.is_not_found());
    assert!(error.to_string().contains("2 certificates are named \"shared\""), "{error}");
    assert_eq!(server.with_api(|api| api.certificates().len()), 3, "nothing was deleted");
    assert_eq!(account.get_by_name("Shared").unwrap().name(), "Shared", "names are compared exactly");
}

#[test]
fn a_call_built_for_another_account_is_refused_before_anything_is_sent() {
    let server = server();
    let account = server.test_client().unwrap().account(&account_id());
    let before = server.requests_served();
    let stray = Upload::ca(AccountId::new(OTHER).unwrap(), CA);
    let error = account.upload(&stray).unwrap_err();
    assert!(matches!(error, Error::Build { source: BuildError::OtherAccount { .. }, .. }), "{error}");
    assert!(error.to_string().contains(OTHER) && error.to_string().contains("account.ca(pem)"), "{error}");
    assert_eq!(server.requests_served(), before);
}

#[test]
fn a_test_client_fails_at_once_against_a_rate_limited_fake() {
    let server = server();
    server.with_api(|api| api.rate_limit(1, Duration::from_secs(30)));
    let account = server.test_client().unwrap().account(&account_id());
    assert!(account.find_by_name("x").unwrap().is_none());
    let started = Instant::now();
    let limited = account.find_by_name("x").unwrap_err();
    assert!(limited.is_rate_limited(), "{limited}");
    assert!(limited.retry_after().is_some_and(|wait| wait > Duration::from_secs(20)), "{limited}");
    assert!(started.elapsed() < Duration::from_secs(5), "waited {:?}", started.elapsed());
}

#[test]
fn the_async_handle_answers_as_the_blocking_one() {
    let server = server();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let account = server.test_async_client().unwrap().account(&account_id());
        let stored = account.upload(&account.ca(CA).with_name("a")).await.unwrap();
        account.upload(&account.ca(CA_RSA).with_name("b")).await.unwrap();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (account, id) = (account.clone(), stored.id().clone());
                tokio::spawn(async move { account.get(&id).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().id(), stored.id());
        }
        let all: Vec<Certificate> = account.list_all().try_collect().await.unwrap();
        assert_eq!(all.len(), 2);
        let cas: Vec<Certificate> = account.list_all_filtered(|l| l.with_ca(true)).try_collect().await.unwrap();
        assert_eq!(cas.len(), 2);
        assert_eq!(account.get_by_name("b").await.unwrap().name(), "b");
        assert!(account.find_by_name("c").await.unwrap().is_none());
        let deleted = account.delete_by_name("a").await.unwrap();
        assert_eq!(deleted.id(), stored.id());
        assert!(account.get_by_name("a").await.unwrap_err().is_not_found());
    });
}
