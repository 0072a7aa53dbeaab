//! Every `--json` output has a JSON Schema in `cli/schemas/` (one per command), and real
//! output, odd cases included, validates against it: scripts can rely on the shape. A
//! schema that would take anything is caught too: each must refuse a wrong document.

mod cli_support;

use cli_support::*;
use serde_json::{Value, json};

const BASE: &str = "https://github.com/cloudflare-mtls/cloudflare-mtls/blob/main/cli/schemas/";

/// The schema of `command`, with the shared ones it refers to registered.
fn validator(command: &str) -> jsonschema::Validator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap()).unwrap()
    };
    let registry = jsonschema::Registry::new()
        .add(format!("{BASE}certificate.json"), read("certificate"))
        .and_then(|r| r.add(format!("{BASE}plan.json"), read("plan")))
        .and_then(|r| r.prepare())
        .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .with_registry(&registry)
        .build(&read(command))
        .unwrap_or_else(|e| panic!("{command}.json: {e}"))
}

#[track_caller]
fn valid(command: &str, output: &Value) {
    let errors: Vec<String> =
        validator(command).iter_errors(output).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{command}: {errors:?}\n{output:#}");
}

#[track_caller]
fn invalid(command: &str, output: &Value) {
    assert!(!validator(command).is_valid(output), "{command}.json takes {output}");
}

#[test]
fn every_json_output_fits_its_schema() {
    let fake = fake();
    let ca = file("ca.pem", CA_PEM);
    let stored =
        cf(&fake, &["upload", "--ca", "--cert", ca.to_str().unwrap(), "--name", "a \"ca\"\n", "--json"]).expect(0);
    valid("upload", &stored.json());
    let id = stored.json()["id"].as_str().unwrap().to_owned();
    insert(&fake, json!({"name": "managed", "type": "gateway_managed", "future_field": {"x": 1}}));
    valid("list", &cf(&fake, &["list", "--json"]).expect(0).json());
    valid("list", &cf(&fake, &["list", "--name", "nothing", "--json"]).expect(0).json());
    valid("get", &cf(&fake, &["get", &id, "--json"]).expect(0).json());
    valid("associations", &cf(&fake, &["associations", &id, "--json"]).expect(0).json());
    valid("check", &cf(&fake, &["check", "--json"]).expect(0).json());
    valid("check", &cf(&fake, &["check", "--expiring-within", "36500d", "--json"]).expect(6).json());
    for args in [
        &["list", "--dry-run", "--json"][..],
        &["get", &id, "--dry-run", "--json"],
        &["delete", "--name", "x", "--dry-run", "--json"],
    ] {
        valid("dry-run", &cf(&fake, args).expect(0).json());
    }
    let upload_dry = cf(&fake, &["upload", "--ca", "--cert", ca.to_str().unwrap(), "--dry-run", "--json"]).expect(0);
    valid("dry-run", &upload_dry.json());

    // plan and apply: changes, none, and a blocked plan.
    let dir = ca.parent().unwrap().join("folder");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("root.pem"), CA_PEM).unwrap();
    std::fs::write(dir.join("client.pem"), LEAF_PEM).unwrap();
    std::fs::write(dir.join("client.key"), LEAF_KEY).unwrap();
    let folder = dir.to_str().unwrap();
    valid("plan", &cf(&fake, &["plan", "--prune", "--json", folder]).expect(7).json());
    valid("apply", &cf(&fake, &["apply", "--json", folder]).expect(0).json());
    valid("plan", &cf(&fake, &["plan", "--json", folder]).expect(0).json());
    insert(&fake, json!({"name": "root", "type": "custom"}));
    valid("apply", &cf(&fake, &["apply", "--json", folder]).expect(8).json());

    // Partial both times: a name with a newline and two "root"s are left out, then the files exist.
    for _ in 0..2 {
        valid("export", &cf(&fake, &["export", "--json", dir.join("out").to_str().unwrap()]).expect(9).json());
    }
    let whole = cf(&fake, &["export", "--json", ca.parent().unwrap().join("whole").to_str().unwrap()]);
    valid("export", &whole.json());
    // The hostnames of a zone, listed and set (and the PUT --dry-run shows).
    let zone = "9a7806061c88ada191ed06f989cc3dac";
    fake.with_api(|api| api.add_zone(cloudflare_mtls::ZoneId::new(zone).unwrap(), "example.com")).unwrap();
    valid("hostnames", &cf(&fake, &["hostnames", zone, "--cert", &id, "--json"]).expect(0).json());
    valid(
        "hostnames",
        &cf(&fake, &["hostnames", "set", zone, "--cert", &id, "a.example.com", "--json"]).expect(0).json(),
    );
    valid("hostnames", &cf(&fake, &["hostnames", zone, "--json"]).expect(0).json());
    valid(
        "dry-run",
        &cf(&fake, &["hostnames", "set", zone, "--cert", &id, "b.example.com", "--dry-run", "--json"]).expect(0).json(),
    );
    valid("dry-run", &cf(&fake, &["hostnames", zone, "--dry-run", "--json"]).expect(0).json());
    valid("delete", &cf(&fake, &["delete", &id, "--detach", zone, "--yes", "--json"]).expect(0).json());

    let (_server, info) = serve_fake(&["--quiet"]);
    valid("serve-fake", &info);
    let (_server, info) = serve_fake(&["--quiet", "--tls"]);
    valid("serve-fake", &info);
    let (_server, info) = serve_fake(&["--quiet", "--zone", &format!("{zone}=example.com")]);
    valid("serve-fake", &info);
}

#[test]
fn each_schema_refuses_a_wrong_document() {
    invalid("certificate", &json!({"id": 7}));
    invalid("upload", &json!([]));
    invalid("list", &json!({"id": "a"}));
    invalid("associations", &json!([{"service": 1}]));
    invalid("hostnames", &json!(["a.example.com"]));
    invalid("hostnames", &json!({"hostnames": [1]}));
    invalid("delete", &json!({"name": "no id"}));
    invalid("check", &json!({"checked": 1, "expiring": []}));
    invalid("check", &json!({"checked": 1, "expiring_within_seconds": 5, "expiring": [{"id": "a"}]}));
    invalid("plan", &json!({"steps": [], "problems": [], "changes": 0}));
    invalid(
        "apply",
        &json!({"done": [{"action": "moved", "name": null, "old_id": null, "id": null}], "failed": null, "not_done": [], "unchanged": 0, "left_alone": 0}),
    );
    invalid("dry-run", &json!({"method": "GET", "url": "not a url", "headers": {}, "body": null}));
    invalid("serve-fake", &json!({"base_url": "http://127.0.0.1:1/client/v4"}));
    invalid(
        "export",
        &json!({"dir": "d", "written": [], "unchanged": [], "exists": [], "failed": [], "removed": [], "skipped": [], "keys_written": 1}),
    );
}
