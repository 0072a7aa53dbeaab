//! Certificates as a folder, both ways: what `cf-mtls apply` reads (`NAME.pem`, its key
//! `NAME.key`, and a manifest for the `ca` flags a certificate does not say itself) and what
//! `cf-mtls export` writes from an account, so that planning the exported folder against the
//! same account finds nothing to do. Pure: the caller reads and writes the files. What a
//! certificate's own basicConstraints say is `expected_ca` (feature `x509-checks`, the rule
//! of the upload checks), or the caller's `inferred_ca` where that feature is off.
//!
//! ```
//! use cloudflare_mtls::folder::{self, Manifest};
//! use cloudflare_mtls::Certificate;
//!
//! let pem = include_str!("../tests/fixtures/ca-p256.pem");
//! // On the account: a self-signed CA:TRUE certificate, uploaded as a client certificate.
//! let stored: Certificate = serde_json::from_value(serde_json::json!({
//!     "id": "2458ce5a", "name": "client", "ca": false, "type": "custom", "certificates": pem,
//! }))?;
//! let export = folder::export(&[stored], |_pem| Some(true));
//! assert_eq!(export.files[0].file_name, "client.pem");
//! // Its flag is not what the certificate says: the manifest keeps it.
//! assert_eq!(export.manifest.ca("client"), Some(false));
//! let read_back = Manifest::from_json(&export.manifest.to_json())?;
//! assert_eq!(read_back, export.manifest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::hostname::Hostname;
use crate::id::ZoneId;
use crate::model::{Certificate, CertificateType};
use crate::pem_check;

/// The hostnames a folder declares: for each CA (by name), for each zone, the full list the
/// CA must hold there (an empty list: none). Only these (CA, zone) pairs are read and written.
pub type DeclaredHostnames = BTreeMap<String, BTreeMap<ZoneId, Vec<Hostname>>>;

/// The manifest's file name in a folder: hidden, so never read as a certificate.
pub const MANIFEST: &str = ".cf-mtls.json";

/// The longest name kept as a file name: `NAME.pem` within 255 bytes, the limit of the usual
/// file systems (ext4, APFS, NTFS).
pub const MAX_NAME_BYTES: usize = 251;

/// What a folder says beyond its files: the `ca` flag of each certificate whose flag is not
/// what its first certificate's basicConstraints say (a self-signed client certificate
/// uploaded without its key, say), and the certificates the export that wrote the folder left
/// out (so that `apply --prune` does not delete what has no file only because it could not
/// be written), and the hostnames each CA must hold in each zone ([`DeclaredHostnames`]):
/// `{"ca": {"NAME": false}, "hostnames": {"NAME": {"ZONE_ID": ["api.example.com"]}},
/// "left_out": [{"id": "...", "name": "...", "why": "..."}]}`. A folder without one needs none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    ca: BTreeMap<String, bool>,
    hostnames: DeclaredHostnames,
    left_out: Vec<LeftOut>,
}

/// A certificate an export left out for a problem, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LeftOut {
    /// Its ID on the account (`None` if the API gave none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why it has no file.
    pub why: String,
}

/// A manifest that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the manifest {MANIFEST} is not {{\"ca\": {{\"NAME\": true|false, ...}}, \"hostnames\": {{\"NAME\": {{\"ZONE_ID\": [\"HOSTNAME\", ...]}}}}, \"left_out\": [{{\"id\": ..., \"name\": ..., \"why\": ...}}]}}: {0}"
)]
pub struct ManifestError(String);

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    #[serde(default, deserialize_with = "unique_names")]
    ca: BTreeMap<String, bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "unique_hostnames")]
    hostnames: DeclaredHostnames,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    left_out: Vec<LeftOut>,
}

/// One JSON object read as a map, refusing a key given twice (JSON allows it; a map would
/// keep the last silently). `what` names the keys in the error.
fn unique_map<'de, A, K, V>(mut map: A, what: &str) -> Result<BTreeMap<K, V>, A::Error>
where
    A: serde::de::MapAccess<'de>,
    K: serde::Deserialize<'de> + Ord + std::fmt::Display,
    V: serde::Deserialize<'de>,
{
    let mut out = BTreeMap::new();
    while let Some((key, value)) = map.next_entry::<K, V>()? {
        if out.contains_key(&key) {
            return Err(serde::de::Error::custom(format!("{what} {:?} twice", key.to_string())));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// The `hostnames` map: no CA or zone twice, and no hostname twice in a list (each a
/// hostname as [`Hostname::new`] checks it).
fn unique_hostnames<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DeclaredHostnames, D::Error> {
    struct Zones;
    impl<'de> serde::de::DeserializeSeed<'de> for Zones {
        type Value = BTreeMap<ZoneId, Vec<Hostname>>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Zones {
        type Value = BTreeMap<ZoneId, Vec<Hostname>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of zone IDs to lists of hostnames")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let zones: BTreeMap<ZoneId, Vec<Hostname>> = unique_map(map, "\"hostnames\" names the zone")?;
            for (zone, list) in &zones {
                if let Some(twice) = list.iter().enumerate().find(|(i, h)| list.iter().take(*i).any(|e| e == *h)) {
                    return Err(serde::de::Error::custom(format!("zone {zone} lists {:?} twice", twice.1.as_str())));
                }
            }
            Ok(zones)
        }
    }
    struct Cas;
    impl<'de> serde::de::Visitor<'de> for Cas {
        type Value = DeclaredHostnames;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of CA names to objects of zone IDs to lists of hostnames")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = DeclaredHostnames::new();
            while let Some(name) = map.next_key::<String>()? {
                let zones = map.next_value_seed(Zones)?;
                if out.insert(name.clone(), zones).is_some() {
                    return Err(serde::de::Error::custom(format!("\"hostnames\" names {name:?} twice")));
                }
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Cas)
}

/// The `ca` map, refusing a name given twice: JSON allows it, and a map would silently keep
/// the last, so the flag the folder meant would be a guess.
fn unique_names<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, bool>, D::Error> {
    struct Names;
    impl<'de> serde::de::Visitor<'de> for Names {
        type Value = BTreeMap<String, bool>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of certificate names to true or false")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            unique_map(map, "\"ca\" names")
        }
    }
    deserializer.deserialize_map(Names)
}

impl Manifest {
    /// Reads a manifest's text.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        // serde would read a struct from an array too (`[]` as an empty manifest).
        if !text.trim_start().starts_with('{') {
            return Err(ManifestError("it is not a JSON object".to_owned()));
        }
        let file: ManifestFile = serde_json::from_str(text).map_err(|e| ManifestError(e.to_string()))?;
        Ok(Self { ca: file.ca, hostnames: file.hostnames, left_out: file.left_out })
    }

    /// The manifest's text (names sorted, one per line, ending in a newline).
    pub fn to_json(&self) -> String {
        let file =
            ManifestFile { ca: self.ca.clone(), hostnames: self.hostnames.clone(), left_out: self.left_out.clone() };
        // Maps of strings to booleans and lists of strings always serialise.
        serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
    }

    /// The flag it gives `name`, if any.
    pub fn ca(&self, name: &str) -> Option<bool> {
        self.ca.get(name).copied()
    }

    /// Gives `name` the flag `ca`.
    pub fn set(&mut self, name: impl Into<String>, ca: bool) {
        self.ca.insert(name.into(), ca);
    }

    /// The names it gives a flag, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.ca.keys().map(String::as_str)
    }

    /// The certificates the export that wrote the folder left out.
    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }

    /// The hostnames it declares, by CA name and zone.
    pub fn hostnames(&self) -> &DeclaredHostnames {
        &self.hostnames
    }

    /// Declares that the CA `name` holds exactly `hostnames` in `zone` (an empty list: none).
    pub fn set_hostnames(&mut self, name: impl Into<String>, zone: ZoneId, hostnames: Vec<Hostname>) {
        self.hostnames.entry(name.into()).or_default().insert(zone, hostnames);
    }

    /// The zones it declares hostnames in, sorted.
    pub fn zones(&self) -> BTreeSet<&ZoneId> {
        self.hostnames.values().flat_map(BTreeMap::keys).collect()
    }

    /// Whether it says nothing (then no manifest file is needed).
    pub fn is_empty(&self) -> bool {
        self.ca.is_empty() && self.hostnames.is_empty() && self.left_out.is_empty()
    }
}

/// Whether a folder's `NAME.pem` (with a `NAME.key` beside it, or not) is a CA upload, by
/// the rule [`Upload::validate`](crate::Upload::validate) checks: its first certificate's
/// basicConstraints say CA, unless it is self-signed and comes with its key (a self-signed
/// client certificate). `None` when the text does not read as PEM certificates. What `apply`
/// uploads a file as, and what `export` compares a stored flag with.
///
/// ```
/// use cloudflare_mtls::folder::expected_ca;
///
/// let self_signed_ca = include_str!("../tests/fixtures/ca-p256.pem");
/// assert_eq!(expected_ca(self_signed_ca, false), Some(true));
/// assert_eq!(expected_ca(self_signed_ca, true), Some(false)); // with its key: a client certificate
/// assert_eq!(expected_ca("not PEM", false), None);
/// ```
#[cfg(feature = "x509-checks")]
#[cfg_attr(docsrs, doc(cfg(feature = "x509-checks")))]
pub fn expected_ca(certificates: &str, with_key: bool) -> Option<bool> {
    crate::x509_check::expected_ca(certificates, with_key)
}

/// Why a certificate name cannot be a file name here: `None` when `NAME.pem` is fine.
/// Refused: empty; `.` or `..`; a leading `.` (hidden, and `apply` skips it); a `/` or `\\`;
/// a control character; longer than [`MAX_NAME_BYTES`].
pub fn name_problem(name: &str) -> Option<&'static str> {
    match name {
        "" => Some("it is empty"),
        _ if name.starts_with('.') => Some("it starts with '.' (a hidden file, which apply does not read)"),
        _ if name.contains(['/', '\\']) => Some("it contains a path separator ('/' or '\\')"),
        _ if name.chars().any(char::is_control) => Some("it contains a control character (a newline, a tab...)"),
        _ if name.len() > MAX_NAME_BYTES => Some("it is longer than a file name may be (251 bytes)"),
        _ => None,
    }
}

/// The naming rule of a folder, one for `export` and `apply`, so that a name `apply` uploads
/// is one `export` can write back: of `names` (the certificates', or the folder's file
/// stems), each that cannot be a file name ([`name_problem`]), is given more than once, or
/// differs from another only in case (one file on macOS and Windows), with why. Names are
/// never guessed or changed.
pub fn name_problems<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, String> {
    let names: Vec<&str> = names.into_iter().collect();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut by_folded: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *by_name.entry(name).or_default() += 1;
        *by_folded.entry(name.to_lowercase()).or_default() += 1;
    }
    let mut problems = BTreeMap::new();
    for name in names {
        let why = if let Some(problem) = name_problem(name) {
            format!("its name cannot be a file name: {problem}")
        } else if by_name.get(name).copied().unwrap_or(0) > 1 {
            "several certificates share its name; delete all but one".to_owned()
        } else if by_folded.get(&name.to_lowercase()).copied().unwrap_or(0) > 1 {
            "another certificate's name differs from it only in case (one file on many file systems)".to_owned()
        } else {
            continue;
        };
        problems.insert(name, why);
    }
    problems
}

/// One file an export writes: `NAME.pem` holding the certificates as the API stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportedFile {
    /// The certificate's name.
    pub name: String,
    /// `NAME.pem`.
    pub file_name: String,
    /// The PEM, as stored.
    pub pem: String,
}

/// A certificate an export leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// Its ID, if the API gave one.
    pub id: Option<String>,
    /// Its name, if any.
    pub name: Option<String>,
    /// Why it is not exported.
    pub why: String,
    /// Whether it is left out by design (a certificate of a Cloudflare product), not for a
    /// problem to fix: an export that skips only these is complete.
    pub by_design: bool,
}

/// What an export writes and what it leaves out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Export {
    /// The files, in name order.
    pub files: Vec<ExportedFile>,
    /// The `ca` flags the files do not say themselves, and what was left out for a problem
    /// (write it as [`MANIFEST`] when not empty; when empty, no manifest belongs in the folder).
    pub manifest: Manifest,
    /// What was left out.
    pub skipped: Vec<Skipped>,
}

impl Export {
    /// Whether anything was left out for a problem (not by design).
    pub fn is_partial(&self) -> bool {
        self.skipped.iter().any(|s| !s.by_design)
    }
}

/// The folder of `certificates`: each `custom` certificate with a usable, unique name as
/// `NAME.pem`, and a manifest entry where its stored `ca` flag differs from what
/// `inferred_ca` reads in its PEM (the first certificate's basicConstraints; `None` when it
/// cannot tell). Names are not guessed ([`name_problems`]); certificates without a name or a
/// PEM, whose PEM holds a private key (no file an export writes ever does) or is not
/// certificates `apply` could upload back, are left out with their reason, and recorded in the
/// manifest's `left_out` so that `apply --prune` of the folder does not delete them.
pub fn export(certificates: &[Certificate], inferred_ca: impl Fn(&str) -> Option<bool>) -> Export {
    let mut out = Export::default();
    let skip = |c: &Certificate, why: String, by_design: bool| Skipped {
        id: c.id.as_ref().map(ToString::to_string),
        name: c.name.clone(),
        why,
        by_design,
    };
    let mut custom = Vec::new();
    for cert in certificates {
        match &cert.kind {
            Some(CertificateType::Custom) | None => custom.push(cert),
            Some(kind) => out.skipped.push(skip(
                cert,
                format!("a {kind} certificate belongs to a Cloudflare product; apply never touches it"),
                true,
            )),
        }
    }
    let problems = name_problems(custom.iter().filter_map(|c| c.name.as_deref()));
    for cert in custom {
        let (Some(name), Some(pem)) = (&cert.name, &cert.certificates) else {
            let why = if cert.name.is_none() { "it has no name" } else { "the API returned no PEM for it" };
            out.skipped.push(skip(cert, why.to_owned(), false));
            continue;
        };
        if let Some(why) = problems.get(name.as_str()) {
            out.skipped.push(skip(cert, why.clone(), false));
            continue;
        }
        // No file an export writes ever holds a key: any mention of one at all is enough (the
        // upload check's rule looks for the same words on BEGIN lines).
        if pem.contains("PRIVATE KEY") {
            out.skipped.push(skip(
                cert,
                "the API returned a private key with its certificates; export never writes a key to disk".to_owned(),
                false,
            ));
            continue;
        }
        if let Err(e) = pem_check::check_certificates(pem) {
            out.skipped.push(skip(cert, format!("apply could not upload its stored PEM back: {e}"), false));
            continue;
        }
        if let (Some(stored), inferred) = (cert.ca, inferred_ca(pem))
            && inferred != Some(stored)
        {
            out.manifest.set(name.clone(), stored);
        }
        out.files.push(ExportedFile { name: name.clone(), file_name: format!("{name}.pem"), pem: pem.clone() });
    }
    out.manifest.left_out = out
        .skipped
        .iter()
        .filter(|s| !s.by_design)
        .map(|s| LeftOut { id: s.id.clone(), name: s.name.clone(), why: s.why.clone() })
        .collect();
    out.files.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(json: serde_json::Value) -> Certificate {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn names_are_not_guessed() {
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        let long = "n".repeat(252);
        let certs: Vec<Certificate> = [
            serde_json::json!({"id": "1", "name": "ok", "ca": true, "type": "custom", "certificates": pem}),
            serde_json::json!({"id": "2", "name": "", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "3", "name": "a/b", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "4", "name": "..", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "5", "name": "line\nbreak", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "6", "name": long, "ca": true, "certificates": pem}),
            serde_json::json!({"id": "7", "name": "Twin", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "8", "name": "twin", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "9", "name": "same", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "10", "name": "same", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "11", "ca": true, "certificates": pem}),
            serde_json::json!({"id": "12", "name": "gw", "type": "gateway_managed", "certificates": pem}),
            serde_json::json!({"id": "13", "name": "back\\slash", "ca": true, "certificates": pem}),
        ]
        .into_iter()
        .map(cert)
        .collect();
        let export = export(&certs, |_| Some(true));
        assert_eq!(export.files.iter().map(|f| f.file_name.as_str()).collect::<Vec<_>>(), ["ok.pem"]);
        let skipped: Vec<&str> = export.skipped.iter().map(|s| s.id.as_deref().unwrap()).collect();
        assert_eq!(skipped, ["12", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "13"]);
        assert!(export.is_partial());
        assert!(export.skipped[0].by_design && export.skipped[1..].iter().all(|s| !s.by_design));
        // What was left out for a problem is recorded, so that `apply --prune` keeps it.
        let recorded: Vec<&str> = export.manifest.left_out().iter().map(|l| l.id.as_deref().unwrap()).collect();
        assert_eq!(recorded, &skipped[1..]);
        assert_eq!(Manifest::from_json(&export.manifest.to_json()).unwrap(), export.manifest);
    }

    #[test]
    fn one_naming_rule_for_files_and_certificates() {
        let problems = name_problems(["ok", "Twin", "twin", "a\nb", ".hidden", "x".repeat(252).leak()]);
        assert_eq!(problems.keys().copied().collect::<Vec<_>>()[..4], [".hidden", "Twin", "a\nb", "twin"]);
        assert!(!problems.contains_key("ok"));
        assert!(problems["Twin"].contains("only in case"), "{problems:?}");
        // A name given twice is a shared name, not a case twin.
        let problems = name_problems(["same", "same", "one"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems["same"].contains("share its name"), "{problems:?}");
        // `NAME.pem` within 255 bytes: a name of exactly 251 is a file name, one more is not.
        assert_eq!(name_problem(&"n".repeat(MAX_NAME_BYTES)), None);
        assert!(name_problem(&"n".repeat(MAX_NAME_BYTES + 1)).is_some_and(|why| why.contains("251 bytes")));
    }

    #[test]
    fn a_manifest_is_empty_only_when_it_says_nothing() {
        assert!(Manifest::default().is_empty());
        let flags = Manifest::from_json(r#"{"ca": {"a": false}}"#).unwrap();
        assert!(!flags.is_empty());
        let left_out = Manifest::from_json(r#"{"left_out": [{"id": "1", "why": "w"}]}"#).unwrap();
        assert!(!left_out.is_empty());
        // A `ca` that is not an object says what it should be.
        let wrong = Manifest::from_json(r#"{"ca": []}"#).unwrap_err();
        assert!(wrong.to_string().contains("an object of certificate names to true or false"), "{wrong}");
    }

    /// The rule `apply` uploads a file by, as the module docs state it (they run as doctests,
    /// not with these tests).
    #[cfg(feature = "x509-checks")]
    #[test]
    fn expected_ca_follows_basic_constraints_and_the_key() {
        let self_signed_ca = include_str!("../tests/fixtures/ca-p256.pem");
        assert_eq!(expected_ca(self_signed_ca, false), Some(true));
        assert_eq!(expected_ca(self_signed_ca, true), Some(false));
        assert_eq!(expected_ca(crate::test_fixtures::LEAF_PEM, false), Some(false));
        assert_eq!(expected_ca("not PEM", false), None);
    }

    #[test]
    fn no_key_is_ever_exported() {
        const CERT: &str = include_str!("../tests/fixtures/ca-p256.pem");
        const KEY: &str = include_str!("../tests/fixtures/ca-p256-key.pem");
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let inline = format!("{}junk -----BEGIN PRIVATE KEY----- inline\n", CERT);
        let certs: Vec<Certificate> = [
            serde_json::json!({"id": "1", "name": "withkey", "ca": true, "certificates": format!("{CERT}{KEY}")}),
            serde_json::json!({"id": "2", "name": "keyonly", "ca": true, "certificates": KEY}),
            serde_json::json!({"id": "3", "name": "rsa", "ca": true, "certificates": format!("{CERT}{rsa}")}),
            serde_json::json!({"id": "4", "name": "encrypted", "ca": true, "certificates": encrypted}),
            serde_json::json!({"id": "5", "name": "inline", "ca": true, "certificates": inline}),
            serde_json::json!({"id": "6", "name": "plain", "ca": true, "certificates": CERT}),
            serde_json::json!({"id": "7", "name": "not-pem", "ca": true, "certificates": "hello"}),
        ]
        .into_iter()
        .map(cert)
        .collect();
        let export = export(&certs, |_| Some(true));
        assert_eq!(export.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["plain"]);
        assert!(export.files.iter().all(|f| !f.pem.contains("PRIVATE")));
        let why = |id: &str| export.skipped.iter().find(|s| s.id.as_deref() == Some(id)).unwrap().why.clone();
        for id in ["1", "2", "3", "4", "5"] {
            assert!(why(id).contains("never writes a key"), "{id}: {}", why(id));
        }
        assert!(why("7").contains("could not upload"), "{}", why("7"));
        assert!(export.is_partial());
        assert_eq!(export.manifest.left_out().len(), 6);
        assert!(!export.manifest.to_json().contains("MII"), "the manifest holds no PEM");
    }

    #[test]
    fn the_manifest_keeps_only_flags_the_certificate_does_not_say() {
        let pem = include_str!("../tests/fixtures/ca-p256.pem");
        let certs: Vec<Certificate> = [
            serde_json::json!({"name": "as-said", "ca": true, "certificates": pem}),
            serde_json::json!({"name": "client", "ca": false, "certificates": pem}),
        ]
        .into_iter()
        .map(cert)
        .collect();
        let export = export(&certs, |_| Some(true));
        assert_eq!(export.manifest.names().collect::<Vec<_>>(), ["client"]);
        assert_eq!((export.manifest.ca("client"), export.manifest.ca("as-said")), (Some(false), None));
        assert_eq!(Manifest::from_json(r#"{"ca": {"a": true}}"#).unwrap().ca("a"), Some(true));
        assert!(!export.is_partial());
        let text = export.manifest.to_json();
        assert_eq!(text, "{\n  \"ca\": {\n    \"client\": false\n  }\n}\n");
        assert_eq!(Manifest::from_json(&text).unwrap(), export.manifest);
        for bad in ["[]", "{\"ca\": {\"x\": 1}}", "{\"ca\": {}, \"more\": 1}", "{\"left_out\": [{\"id\": \"1\"}]}"] {
            assert!(Manifest::from_json(bad).is_err(), "{bad}");
        }
        assert!(Manifest::from_json("{}").unwrap().is_empty());
        // A name given twice is refused, not read as the last one.
        let twice = Manifest::from_json("{\"ca\": {\"a\": true, \"a\": false}}").unwrap_err();
        assert!(twice.to_string().contains("\"a\" twice"), "{twice}");
    }

    #[test]
    fn the_manifest_declares_hostnames_by_ca_and_zone() {
        let text = r#"{"hostnames": {"team": {"023e105f4ecef8ad9ca31a8372d0c353": ["api.example.com"], "11111111111111111111111111111111": []}}}"#;
        let manifest = Manifest::from_json(text).unwrap();
        assert!(!manifest.is_empty());
        let zones: Vec<&str> = manifest.zones().into_iter().map(ZoneId::as_str).collect();
        assert_eq!(zones, ["023e105f4ecef8ad9ca31a8372d0c353", "11111111111111111111111111111111"]);
        assert_eq!(manifest.hostnames()["team"].values().map(Vec::len).collect::<Vec<_>>(), [1, 0]);
        assert_eq!(Manifest::from_json(&manifest.to_json()).unwrap(), manifest);
        let mut built = Manifest::default();
        built.set_hostnames(
            "team",
            ZoneId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap(),
            vec![Hostname::new("api.example.com").unwrap()],
        );
        built.set_hostnames("team", ZoneId::new("11111111111111111111111111111111").unwrap(), Vec::new());
        assert_eq!(built, manifest);
        for (bad, says) in [
            (r#"{"hostnames": {"t": {"z1": ["a.example.com", "A.example.com"]}}}"#, "lists \"A.example.com\" twice"),
            (r#"{"hostnames": {"t": {"z1": [], "z1": []}}}"#, "names the zone \"z1\" twice"),
            (r#"{"hostnames": {"t": {}, "t": {}}}"#, "names \"t\" twice"),
            (r#"{"hostnames": {"t": {"z1": ["https://a.example.com/"]}}}"#, "without the scheme"),
            (r#"{"hostnames": {"t": {"z/1": []}}}"#, "z/1"),
            (r#"{"hostnames": {"t": ["a.example.com"]}}"#, "zone IDs to lists"),
        ] {
            let err = Manifest::from_json(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
