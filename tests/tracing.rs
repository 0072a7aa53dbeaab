//! The `tracing` feature: a span per call with its name, method and IDs; an event per attempt
//! with its status or failure, time taken, decision and wait; and nothing secret anywhere.
#![cfg(all(feature = "tracing", feature = "ureq", feature = "fake-server"))]

use std::sync::{Arc, Mutex};

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{
    AccountId, Config, Credentials, Hostname, PrivateKey, ReplaceHostnames, RetryPolicy, Upload, ZoneId,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const TOKEN: &str = "trace-token-SECRET";
const CA: &str = include_str!("fixtures/leaf-p256.pem");
const KEY: &str = include_str!("fixtures/leaf-p256-key.pem");

/// Everything recorded, as text: one line per span or event, `name: field=value...`.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = Fields(format!("span {}:", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let parent = ctx.event_span(event).map(|s| s.name().to_string()).unwrap_or_default();
        let mut fields = Fields(format!("event in {parent} [{}]:", event.metadata().level()));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[test]
fn calls_and_attempts_are_traced_without_secrets() {
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
    let server = FakeServer::start(FakeApi::new(TOKEN, account.clone())).unwrap();
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(server.base_url());
    let client = cloudflare_mtls::ureq::Builder::new(config)
        .with_retry(RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(5)))
        .build();
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    tracing::subscriber::with_default(subscriber, || {
        let upload = Upload::leaf(account.clone(), CA).with_name("traced").with_private_key(PrivateKey::new(KEY));
        let id = client.upload(&upload).unwrap().id().clone();
        server.with_api(|api| api.fail_next(Fault::Html(502)));
        client.get(&account, &id).unwrap();
        let lines = recorder.0.lock().unwrap().clone();
        let all = lines.join("\n");
        let spans: Vec<&String> = lines.iter().filter(|l| l.starts_with("span")).collect();
        assert_eq!(spans.len(), 2, "{all}");
        assert!(spans[0].contains("call=upload certificate") && spans[0].contains("method=POST"), "{all}");
        assert!(spans[0].contains(&format!("account={account}")) && !spans[0].contains("certificate="), "{all}");
        assert!(spans[1].contains("call=get certificate") && spans[1].contains("method=GET"), "{all}");
        assert!(spans[1].contains(&format!("certificate={id}")), "{all}");
        let events: Vec<&String> = lines.iter().filter(|l| l.starts_with("event in cloudflare_mtls")).collect();
        assert_eq!(events.len(), 3, "one upload attempt, two get attempts: {all}");
        assert!(events[1].contains("attempt=1") && events[1].contains("status=502"), "{all}");
        assert!(events[1].contains("decision=retry") && events[1].contains("wait_ms="), "{all}");
        assert!(events[1].contains("[INFO]"), "a retry is worth an INFO line: {all}");
        assert!(events[2].contains("attempt=2") && events[2].contains("status=200"), "{all}");
        assert!(events[2].contains("decision=done") && events[2].contains("elapsed_ms="), "{all}");
        // Nothing secret, and no certificate either.
        for secret in [TOKEN, "PRIVATE KEY", "BEGIN CERTIFICATE", &KEY[40..60], &CA[40..60], "authorization"] {
            assert!(!all.contains(secret), "{secret:?} recorded: {all}");
        }
    });
}

#[test]
fn a_zone_call_names_its_zone_not_an_account() {
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
    let zone = ZoneId::new("9a7806061c88ada191ed06f989cc3dac").unwrap();
    let api = FakeApi::new(TOKEN, account).with_zone(zone.clone(), "example.com").unwrap();
    let server = FakeServer::start(api).unwrap();
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(server.base_url());
    let client = cloudflare_mtls::ureq::Builder::new(config).build();
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    tracing::subscriber::with_default(subscriber, || {
        let replace = ReplaceHostnames::new(zone.clone(), [Hostname::new("secret-host.example.com").unwrap()]);
        client.replace_hostnames(&replace).unwrap();
        let lines = recorder.0.lock().unwrap().clone();
        let all = lines.join("\n");
        let span = lines.iter().find(|l| l.starts_with("span")).unwrap();
        assert!(span.contains("call=replace hostname associations") && span.contains("method=PUT"), "{all}");
        assert!(span.contains(&format!("zone={zone}")) && !span.contains("account="), "{all}");
        assert!(!all.contains("secret-host"), "no hostname list in a trace: {all}");
    });
}
