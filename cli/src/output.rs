//! What goes to stdout: certificates as text or tables, JSON documents, and the dry-run
//! rendering of a request.

use std::io::{IsTerminal, Write};

use cloudflare_mtls::http::Request;
use cloudflare_mtls::{Association, Certificate, Timestamp};
use serde_json::Value;
use time::OffsetDateTime;

use crate::table::{self, Column};
use crate::text::{acts_on_terminal, safe, visible};

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `text` to stdout, made [`safe`].
pub fn print(text: &str) -> std::io::Result<()> {
    write_stdout(&safe(text))
}

/// JSON text with the characters serde_json leaves raw but a terminal acts on (DEL, C1,
/// bidi overrides) written as `\uXXXX` escapes: the same JSON value, harmless on a terminal.
/// They can only stand inside strings, where an escape means the same character.
fn escape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if acts_on_terminal(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// One JSON document on stdout, pretty-printed.
pub fn print_json(value: &Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    write_stdout(&format!("{}\n", escape_json(&text)))
}

/// A JSON array printed as its items arrive, pretty-printed as [`print_json`] prints a whole
/// one. Left unfinished after an error, so that a partial list never parses as a whole one.
#[derive(Default)]
pub struct JsonArray {
    opened: bool,
    count: usize,
}

impl JsonArray {
    /// Prints `items` (opening the array on the first call).
    pub fn push(&mut self, items: &[&Value]) -> std::io::Result<()> {
        let mut text = String::new();
        if !self.opened {
            text.push('[');
            self.opened = true;
        }
        for item in items {
            text.push_str(if self.count == 0 { "\n  " } else { ",\n  " });
            let pretty = serde_json::to_string_pretty(item).map_err(std::io::Error::other)?;
            text.push_str(&pretty.replace('\n', "\n  "));
            self.count += 1;
        }
        write_stdout(&escape_json(&text))
    }

    /// Closes the array.
    pub fn finish(mut self) -> std::io::Result<()> {
        if !self.opened {
            self.push(&[])?;
        }
        write_stdout(if self.count == 0 { "]\n" } else { "\n]\n" })
    }
}

/// One JSON document on one line of stdout.
pub fn print_line_json(value: &Value) -> std::io::Result<()> {
    write_stdout(&format!("{}\n", escape_json(&value.to_string())))
}

/// The terminal's width when stdout is one; `None` otherwise (nothing is cut then).
pub fn terminal_width() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0)).filter(|w| *w > 0)
}

/// Whole days from `now` to `expires`; `None` once expired.
fn days_left(expires: Timestamp, now: OffsetDateTime) -> Option<i64> {
    let expires = expires.get();
    (expires > now).then(|| (expires - now).whole_days())
}

fn yes_no(flag: Option<bool>) -> String {
    flag.map_or(String::new(), |ca| if ca { "yes" } else { "no" }.to_owned())
}

/// The columns of `list`.
pub const LIST_COLUMNS: [Column; 7] = [
    Column::fixed("ID"),
    Column::shrink("NAME", 12),
    Column::fixed("TYPE"),
    Column::fixed("CA"),
    Column::shrink("ISSUER", 12),
    Column::fixed("EXPIRES"),
    Column::number("DAYS LEFT"),
];

/// The `list` table, whole.
#[cfg(test)]
pub fn certificate_table(certs: &[&Certificate], now: OffsetDateTime, width: Option<usize>) -> String {
    Table::certificates(certs, now, width).rows(certs, now, true)
}

/// The `list` table printed a page at a time: the column widths come from the first page.
pub struct Table {
    widths: Vec<usize>,
}

impl Table {
    /// A layout fitted to `first` (the first page) and the terminal's `width`.
    pub fn certificates(first: &[&Certificate], now: OffsetDateTime, width: Option<usize>) -> Self {
        Self { widths: table::layout(&LIST_COLUMNS, &certificate_rows(first, now), width) }
    }

    /// `certs` as lines of the table, after the header if `header`.
    pub fn rows(&self, certs: &[&Certificate], now: OffsetDateTime, header: bool) -> String {
        table::lines(&LIST_COLUMNS, &self.widths, &certificate_rows(certs, now), header)
    }
}

fn certificate_rows(certs: &[&Certificate], now: OffsetDateTime) -> Vec<Vec<String>> {
    certs
        .iter()
        .map(|c| {
            vec![
                c.id.as_ref().map(|id| id.to_string()).unwrap_or_default(),
                c.name.clone().unwrap_or_default(),
                c.kind.as_ref().map(|k| k.to_string()).unwrap_or_default(),
                yes_no(c.ca),
                c.issuer.clone().unwrap_or_default(),
                c.expires_on.map(|e| e.get().date().to_string()).unwrap_or_default(),
                c.expires_on
                    .map(|e| days_left(e, now).map_or_else(|| "expired".to_owned(), |d| d.to_string()))
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

/// One certificate, a field per line (the PEM only with `--json`).
pub fn certificate_details(cert: &Certificate, now: OffsetDateTime) -> String {
    let expires = cert.expires_on.map(|e| match days_left(e, now) {
        Some(d) => format!("{e} ({d} days left)"),
        None => format!("{e} (expired)"),
    });
    let fields = [
        ("ID", cert.id.as_ref().map(|id| id.to_string())),
        ("Name", cert.name.clone()),
        ("Type", cert.kind.as_ref().map(|k| k.to_string())),
        ("CA", cert.ca.map(|ca| yes_no(Some(ca)))),
        ("Issuer", cert.issuer.clone()),
        ("Serial number", cert.serial_number.clone()),
        ("Signature", cert.signature.clone()),
        ("Expires on", expires),
        ("Uploaded on", cert.uploaded_on.map(|t| t.to_string())),
        ("Updated at", cert.updated_at.map(|t| t.to_string())),
    ];
    let mut out = String::new();
    for (label, value) in fields {
        if let Some(value) = value {
            out.push_str(&format!("{:<15}{}\n", format!("{label}:"), visible(&value)));
        }
    }
    out
}

/// `Name (ID)`, or whichever of the two is known.
pub fn certificate_label(cert: &Certificate) -> String {
    match (&cert.name, &cert.id) {
        (Some(name), Some(id)) => format!("\"{}\" ({id})", visible(name)),
        (Some(name), None) => format!("\"{}\"", visible(name)),
        (None, Some(id)) => id.to_string(),
        (None, None) => "(unnamed)".to_owned(),
    }
}

/// The associations table, or a sentence when there are none.
pub fn association_table(associations: &[&Association]) -> String {
    if associations.is_empty() {
        return "No service uses this certificate.\n".to_owned();
    }
    let rows: Vec<Vec<String>> = associations
        .iter()
        .map(|a| vec![a.service.clone().unwrap_or_default(), a.status.clone().unwrap_or_default()])
        .collect();
    table::render(&[Column::fixed("SERVICE"), Column::fixed("STATUS")], &rows, None)
}

/// Headers whose values are secrets, whatever `is_sensitive` says.
const SECRET_HEADERS: [&str; 3] = ["authorization", "x-auth-key", "x-auth-user-service-key"];
const REDACTED: &str = "<redacted>";

fn header_value(name: &str, value: &cloudflare_mtls::http::HeaderValue) -> String {
    if value.is_sensitive() || SECRET_HEADERS.contains(&name) {
        REDACTED.to_owned()
    } else {
        String::from_utf8_lossy(value.as_bytes()).into_owned()
    }
}

/// The body with `private_key` replaced; `None` when there is none.
fn redacted_body(body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    let mut value: Value =
        serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    if let Some(key) = value.get_mut("private_key") {
        *key = Value::String(REDACTED.to_owned());
    }
    Some(value)
}

/// The request as text: `METHOD URL`, the headers, a blank line and the body (compact JSON,
/// as sent). Secrets are `<redacted>`.
pub fn request_text(request: &Request<Vec<u8>>) -> String {
    let mut out = format!("{} {}\n", request.method(), request.uri());
    for (name, value) in request.headers() {
        out.push_str(&format!("{name}: {}\n", header_value(name.as_str(), value)));
    }
    if let Some(body) = redacted_body(request.body()) {
        out.push('\n');
        out.push_str(&body.to_string());
        out.push('\n');
    }
    out
}

/// The request as a JSON object: `method`, `url`, `headers`, `body` (parsed, or null).
pub fn request_json(request: &Request<Vec<u8>>) -> Value {
    let headers: serde_json::Map<String, Value> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), Value::String(header_value(name.as_str(), value))))
        .collect();
    serde_json::json!({
        "method": request.method().as_str(),
        "url": request.uri().to_string(),
        "headers": headers,
        "body": redacted_body(request.body()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cert() -> Certificate {
        serde_json::from_str(
            r#"{"id":"abc","name":"my-ca","ca":true,"issuer":"O=Example","expires_on":"2030-01-11T12:00:00Z","type":"custom"}"#,
        )
        .unwrap()
    }

    #[test]
    fn table_row_has_every_column() {
        let c = cert();
        let text = certificate_table(&[&c], datetime!(2030-01-01 0:00 UTC), None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID   NAME   TYPE    CA   ISSUER     EXPIRES     DAYS LEFT");
        assert_eq!(lines[1], "abc  my-ca  custom  yes  O=Example  2030-01-11         10");
        let text = certificate_table(&[&c], datetime!(2031-01-01 0:00 UTC), None);
        assert!(text.lines().nth(1).unwrap().ends_with("expired"), "{text}");
    }

    #[test]
    fn details_skip_unknown_fields() {
        let text = certificate_details(&cert(), datetime!(2030-01-01 0:00 UTC));
        assert!(text.contains("Expires on:    2030-01-11T12:00:00Z (10 days left)\n"), "{text}");
        assert!(!text.contains("Serial"), "{text}");
    }

    #[test]
    fn requests_are_shown_with_secrets_redacted() {
        let request = Request::post("https://api.example/x")
            .header("authorization", "Bearer SECRET")
            .header("x-auth-key", "SECRET")
            .header("x-auth-email", "me@example.com")
            .body(br#"{"ca":false,"certificates":"PEM","private_key":"-----BEGIN PRIVATE KEY-----SECRET"}"#.to_vec())
            .unwrap();
        let text = request_text(&request);
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(
            text,
            "POST https://api.example/x\nauthorization: <redacted>\nx-auth-key: <redacted>\nx-auth-email: me@example.com\n\n{\"ca\":false,\"certificates\":\"PEM\",\"private_key\":\"<redacted>\"}\n"
        );
        let json = request_json(&request);
        assert!(!json.to_string().contains("SECRET"));
        assert_eq!(json["body"]["private_key"], "<redacted>");
    }
}
