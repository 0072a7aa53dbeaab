//! `cf-mtls` run end to end against the loopback fake: every command, text and `--json`,
//! `--name`, filters, and the refusal of a delete while the certificate is in use.

mod cli_support;
#[path = "../../tests/support/uuid.rs"]
mod uuid;

use cli_support::*;
use cloudflare_mtls::Association;
use cloudflare_mtls::fake::Fault;

#[test]
fn upload_get_list_associations_delete_as_text() {
    let fake = fake();
    let cert = file("ca.pem", CA_PEM);
    let run = cf(&fake, &["upload", "--ca", "--cert", cert.to_str().unwrap(), "--name", "example_ca_cert"]).expect(0);
    assert!(run.stdout.starts_with("Uploaded certificate \"example_ca_cert\" ("), "{run:?}");
    assert!(run.stdout.contains("Issuer:        O=Example Inc.,L=California,ST=San Francisco,C=US\n"), "{run:?}");
    assert!(run.stdout.contains("CA:            yes\n"), "{run:?}");
    assert!(run.stdout.contains("Expires on:    2122-10-29T16:59:47Z ("), "{run:?}");
    let stored = fake.with_api(|api| api.certificates());
    assert_eq!(stored.len(), 1);
    let id = stored[0].id.clone().unwrap().into_string();
    assert!(run.stdout.contains(&id));

    let run = cf(&fake, &["get", &id]).expect(0);
    assert!(run.stdout.starts_with(&format!("ID:            {id}\nName:          example_ca_cert\n")), "{run:?}");
    assert_eq!(cf(&fake, &["get", "--name", "example_ca_cert"]).expect(0).stdout, run.stdout);

    let run = cf(&fake, &["list"]).expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    assert!(lines[0].starts_with("ID") && lines[0].ends_with("DAYS LEFT"), "{run:?}");
    // Not a terminal: nothing is cut, whatever the length.
    assert!(lines[1].contains("O=Example Inc.,L=California,ST=San Francisco,C=US  2122-10-29"), "{run:?}");
    assert!(lines[1].starts_with(&format!("{id}  example_ca_cert  custom  yes  ")), "{run:?}");

    let run = cf(&fake, &["associations", &id]).expect(0);
    assert_eq!(run.stdout, "No service uses this certificate.\n");
    fake.with_api(|api| api.attach(&id.parse().unwrap(), Association::new("gateway", "pending_deployment")));
    let run = cf(&fake, &["associations", "--name", "example_ca_cert"]).expect(0);
    assert_eq!(run.stdout, "SERVICE  STATUS\ngateway  pending_deployment\n");
    fake.with_api(|api| api.detach(&id.parse().unwrap(), "gateway"));

    let run = cf(&fake, &["delete", &id, "--yes"]).expect(0);
    assert_eq!(run.stdout, format!("Deleted certificate \"example_ca_cert\" ({id}).\n"));
    assert!(fake.with_api(|api| api.certificates()).is_empty());
    assert_eq!(cf(&fake, &["list"]).expect(0).stdout, "No certificates.\n");
}

#[test]
fn an_uploaded_uuid_is_taken_by_get_associations_and_delete() {
    let fake = fake();
    let id = upload_ca(&fake, "uuid");
    assert!(uuid::is_uuid(&id), "{id} is not a UUID, as the live API's IDs are");
    assert_eq!(cf(&fake, &["get", &id, "--json"]).expect(0).json()["id"], id.as_str());
    fake.with_api(|api| api.attach(&id.parse().unwrap(), Association::new("gateway", "active")));
    let run = cf(&fake, &["associations", &id, "--json"]).expect(0);
    assert_eq!(run.json(), serde_json::json!([{"service": "gateway", "status": "active"}]));
    fake.with_api(|api| api.detach(&id.parse().unwrap(), "gateway"));
    assert_eq!(cf(&fake, &["delete", &id, "--yes", "--json"]).expect(0).json()["id"], id.as_str());
    assert!(fake.with_api(|api| api.certificates()).is_empty());
}

#[test]
fn json_is_the_apis_objects_and_parses_back() {
    let fake = fake();
    let cert = file("leaf.pem", LEAF_PEM);
    let key = file("leaf.key", LEAF_KEY);
    let run = cf(
        &fake,
        &["upload", "--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap(), "--name", "leaf", "--json"],
    )
    .expect(0);
    let uploaded = run.json();
    assert_eq!(uploaded["name"], "leaf");
    assert_eq!(uploaded["ca"], false);
    assert_eq!(uploaded["type"], "custom");
    assert_eq!(uploaded["serial_number"], "3003");
    assert!(uploaded["updated_at"].is_string(), "the upload's own response has updated_at: {uploaded}");
    let id = uploaded["id"].as_str().unwrap().to_owned();

    let got = cf(&fake, &["get", &id, "--json"]).expect(0).json();
    let listed = cf(&fake, &["--json", "list"]).expect(0).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0], got);
    assert_eq!(cf(&fake, &["get", "--name", "leaf", "--json"]).expect(0).json(), got);
    for (field, value) in uploaded.as_object().unwrap() {
        if field != "updated_at" {
            assert_eq!(&got[field], value, "{field}");
        }
    }

    fake.with_api(|api| api.attach(&id.parse().unwrap(), Association::new("gateway", "active")));
    let assoc = cf(&fake, &["associations", &id, "--json"]).expect(0).json();
    assert_eq!(assoc, serde_json::json!([{"service": "gateway", "status": "active"}]));
    fake.with_api(|api| api.detach(&id.parse().unwrap(), "gateway"));

    let deleted = cf(&fake, &["delete", &id, "--yes", "--json"]).expect(0).json();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(cf(&fake, &["list", "--json"]).expect(0).json(), serde_json::json!([]));
}

#[test]
fn json_keeps_fields_this_crate_does_not_know() {
    let fake = fake();
    let body =
        r#"{"success":true,"errors":[],"messages":[],"result":{"id":"abc","name":"n","brand_new_field":{"x":[1,2]}}}"#;
    fake.with_api(|api| api.fail_next(Fault::Raw(200, "application/json".into(), body.as_bytes().to_vec())));
    let run = cf(&fake, &["get", "abc", "--json"]).expect(0);
    assert_eq!(run.json(), serde_json::from_str::<serde_json::Value>(body).unwrap()["result"]);
    // In the order they came, too (not sorted).
    let at = |key: &str| run.stdout.find(&format!("\"{key}\":")).unwrap();
    assert!(at("id") < at("name") && at("name") < at("brand_new_field"), "{}", run.stdout);

    // The same through a list, which pairs every page's items with the decoded models.
    let page = r#"{"success":true,"errors":[],"messages":[],"result":[{"id":"a","future":1},{"id":"b","future":2}],"result_info":{"page":1,"per_page":50,"count":2,"total_count":2,"total_pages":1}}"#;
    fake.with_api(|api| api.fail_next(Fault::Raw(200, "application/json".into(), page.as_bytes().to_vec())));
    let listed = cf(&fake, &["list", "--json"]).expect(0).json();
    assert_eq!(listed, serde_json::json!([{"id": "a", "future": 1}, {"id": "b", "future": 2}]));
}

#[test]
fn list_filters() {
    let fake = fake();
    let ca = upload_ca(&fake, "the-ca");
    let leaf_file = file("leaf.pem", LEAF_PEM);
    let leaf = cf(&fake, &["upload", "--cert", leaf_file.to_str().unwrap(), "--name", "the-leaf", "--json"]).expect(0);
    let leaf = leaf.json()["id"].as_str().unwrap().to_owned();
    let soon = time::OffsetDateTime::now_utc() + time::Duration::days(10);
    let soon = soon.format(&time::format_description::well_known::Rfc3339).unwrap();
    let managed = insert(
        &fake,
        serde_json::json!({"name": "gw", "ca": true, "type": "gateway_managed", "expires_on": soon, "issuer": "CN=gw"}),
    )
    .into_string();

    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        let listed = cf(&fake, &all).expect(0).json();
        listed.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&[]), [ca.as_str(), leaf.as_str(), managed.as_str()]);
    assert_eq!(ids(&["--ca"]), [ca.as_str(), managed.as_str()]);
    assert_eq!(ids(&["--leaf"]), [leaf.as_str()]);
    assert_eq!(ids(&["--type", "gateway_managed"]), [managed.as_str()]);
    assert_eq!(ids(&["--type", "custom", "--type", "gateway_managed"]), [ca.as_str(), leaf.as_str(), managed.as_str()]);
    assert_eq!(ids(&["--name", "the-leaf"]), [leaf.as_str()]);
    assert_eq!(ids(&["--expiring-within", "30d"]), [managed.as_str()]);
    assert_eq!(ids(&["--expiring-within", "1w"]), Vec::<String>::new());
    assert_eq!(ids(&["--expiring-within", "2w", "--ca"]), [managed.as_str()]);

    let text = cf(&fake, &["list", "--expiring-within", "30d"]).expect(0).stdout;
    let row = text.lines().nth(1).unwrap();
    assert!(row.starts_with(&format!("{managed}  gw    gateway_managed  yes  CN=gw")), "{text}");
    assert!(row.ends_with(" 9") || row.ends_with(" 10"), "days left: {text}");
}

#[test]
fn a_name_must_match_exactly_one_certificate() {
    let fake = fake();
    let unknown = cf(&fake, &["get", "--name", "nope"]).expect(3);
    assert!(
        unknown
            .stderr
            .starts_with("error: no certificate is named \"nope\" (names are compared exactly, case included)\n"),
        "{unknown:?}"
    );
    assert!(unknown.stdout.is_empty());

    let a = insert(&fake, serde_json::json!({"name": "twin"})).into_string();
    let b = insert(&fake, serde_json::json!({"name": "twin"})).into_string();
    insert(&fake, serde_json::json!({"name": "twins"}));
    for args in
        [&["get", "--name", "twin"][..], &["associations", "--name", "twin"], &["delete", "--name", "twin", "--yes"]]
    {
        let run = cf(&fake, args).expect(2);
        assert!(run.stderr.contains(&format!("2 certificates are named \"twin\": {a}, {b}")), "{args:?}: {run:?}");
        assert!(run.stderr.contains("pass the ID"), "{run:?}");
    }
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 3, "nothing deleted on a guess");
    // A unique name is found among names that contain it.
    let c = cf(&fake, &["get", "--name", "twins", "--json"]).expect(0).json();
    assert_eq!(c["name"], "twins");
}

#[test]
fn a_delete_refused_because_in_use_lists_the_associations() {
    let fake = fake();
    let id = upload_ca(&fake, "busy");
    fake.with_api(|api| {
        api.attach(&id.parse().unwrap(), Association::new("gateway", "active"));
        api.attach(&id.parse().unwrap(), Association::new("access", "pending_deployment"));
    });
    let run = cf(&fake, &["delete", "--name", "busy", "--yes"]).expect(3);
    assert!(run.stderr.starts_with("error: delete certificate: the API refused the request (HTTP 400"), "{run:?}");
    assert!(run.stderr.contains("the certificate is in use by:\n"), "{run:?}");
    assert!(run.stderr.contains("  gateway  active\n") && run.stderr.contains("  access  pending_deployment\n"));
    assert!(run.stdout.is_empty());
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);

    // Not found is not "in use": no associations are fetched.
    let before = fake.requests_served();
    let run = cf(&fake, &["delete", "0123456789abcdef0123456789abcdef", "--yes"]).expect(3);
    assert!(!run.stderr.contains("in use"), "{run:?}");
    assert_eq!(fake.requests_served() - before, 1);
}

#[test]
fn wrangler_variables_and_flags_work_too() {
    let fake = fake();
    upload_ca(&fake, "x");
    let url = fake.base_url().to_string();
    // wrangler's base URL variable.
    let mut cmd = command("");
    cmd.env_remove("CLOUDFLARE_BASE_URL").env("CLOUDFLARE_API_BASE_URL", &url).args(["list", "--json"]);
    assert_eq!(Run::from(cmd.output().unwrap()).expect(0).json().as_array().unwrap().len(), 1);
    // Flags instead of variables; a flag wins over a variable.
    let mut cmd = command("https://unused.invalid/client/v4");
    cmd.env_clear().args(["list", "--api-token", TOKEN, "--account-id", ACCOUNT, "--base-url", &url]);
    Run::from(cmd.output().unwrap()).expect(0);
    let mut cmd = command(&url);
    cmd.env("CLOUDFLARE_API_TOKEN", "wrong").args(["list", "--api-token", TOKEN]);
    Run::from(cmd.output().unwrap()).expect(0);
}

#[test]
fn serve_fake_prints_what_to_export_and_serves() {
    let (child, info) = serve_fake(&["--token", "tok", "--account", "acc123"]);
    let url = info["base_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/client/v4"), "{info}");
    assert_eq!(info["env"]["CLOUDFLARE_API_BASE_URL"], url.as_str());

    let mut cmd = std::process::Command::new(BIN);
    cmd.env_clear();
    for (name, value) in info["env"].as_object().unwrap() {
        cmd.env(name, value.as_str().unwrap());
    }
    let cert = file("leaf.pem", LEAF_PEM);
    let run = Run::from(cmd.args(["upload", "--cert", cert.to_str().unwrap(), "--json"]).output().unwrap());
    assert_eq!(run.expect(0).json()["ca"], false);
    drop(child);
}

#[test]
fn serve_fake_text_output_and_loopback_only() {
    use std::io::Read;
    let mut child = Killed(
        std::process::Command::new(BIN)
            .env_clear()
            .args(["serve-fake", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = child.0.stdout.take().unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 1024];
    while !text.contains("WRANGLER_SEND_METRICS=false\n") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "{text}");
        text.push_str(std::str::from_utf8(&buf[..n]).unwrap());
    }
    drop(child);
    for expected in [
        "export CLOUDFLARE_BASE_URL=http://127.0.0.1:",
        "export CLOUDFLARE_API_TOKEN=fake-token\n",
        "export CLOUDFLARE_ACCOUNT_ID=023e105f4ecef8ad9ca31a8372d0c353\n",
        "export CLOUDFLARE_API_BASE_URL=http://127.0.0.1:",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    let run: Run = std::process::Command::new(BIN)
        .env_clear()
        .args(["serve-fake", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap()
        .into();
    assert!(run.expect(2).stderr.contains("loopback"));
}

#[test]
fn list_walks_every_page() {
    let fake = fake();
    let ids: Vec<String> =
        (0..120).map(|i| insert(&fake, serde_json::json!({"name": format!("c{i}")})).into_string()).collect();
    let served = fake.requests_served();
    let listed = cf(&fake, &["list", "--json"]).expect(0).json();
    let got: Vec<&str> = listed.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids);
    assert_eq!(fake.requests_served() - served, 3, "pages of 50");
    assert_eq!(cf(&fake, &["list"]).expect(0).stdout.lines().count(), 121);
}

#[test]
fn serve_fake_rate_limits_and_logs_every_request() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(BIN)
        .env_clear()
        .args(["serve-fake", "--listen", "127.0.0.1:0", "--token", "tok", "--account", "acc123", "--json"])
        // A window far longer than four processes take, even on a loaded machine.
        .args(["--rate-limit", "3/10m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = info["base_url"].as_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear().env("CLOUDFLARE_BASE_URL", &url).env("CLOUDFLARE_API_TOKEN", "tok");
        cmd.env("CLOUDFLARE_ACCOUNT_ID", "acc123");
        Run::from(cmd.args(args).output().unwrap())
    };
    for _ in 0..3 {
        run(&["list", "--retries", "0"]).expect(0);
    }
    let limited = run(&["list", "--retries", "0"]).expect(3);
    assert!(limited.stderr.contains("rate limited; try again in"), "{limited:?}");
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    for (i, line) in lines.iter().enumerate() {
        let status = if i < 3 { "200" } else { "429" };
        assert!(line.starts_with(&format!("GET /client/v4/accounts/acc123/mtls_certificates {status} ")), "{log}");
        assert!(line.ends_with("ms"), "{log}");
    }
}
