//! Certificates as code: what to do to make an account's certificates match a desired set,
//! as a pure function of the two (and then of the associations of what would change).
//!
//! A certificate is matched by name, and compared by its DER bytes, block by block, and its
//! `ca` flag, never by its PEM text: the API rewrites the PEM it stores (line lengths, final
//! newline), and that must never read as a change. A certificate cannot be updated, so a
//! change is a replace: delete the old one, upload the new one. Only `custom` certificates
//! are ever replaced or deleted; `gateway_managed` and `access_managed` ones (and any new
//! type) belong to Cloudflare's products and are left alone. Whatever the plan cannot decide
//! without guessing is a [`Problem`], and a replace or delete of a certificate that a service
//! uses is *blocked* (its [`Step::in_use`] lists the associations): a plan with either is
//! not carried out at all.
//!
//! ```
//! use cloudflare_mtls::plan::{Plan, Step};
//! use cloudflare_mtls::{AccountId, Certificate, Upload};
//!
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let pem = include_str!("../tests/fixtures/ca-p256.pem");
//! let desired = [Upload::ca(account.clone(), pem).with_name("clients-ca")];
//! // The account has it already, as the API stores it: same DER, PEM written its own way.
//! let stored: Certificate = serde_json::from_value(serde_json::json!({
//!     "id": "2458ce5a", "name": "clients-ca", "ca": true, "type": "custom",
//!     "certificates": pem.replace('\n', "\r\n"),
//! }))?;
//! let plan = Plan::new(&desired, &[stored], false);
//! assert!(matches!(plan.steps(), [Step::Unchanged { .. }]));
//! assert!(!plan.has_changes() && plan.is_ready());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::calls::Upload;
use crate::folder::LeftOut;
use crate::id::CertificateId;
use crate::model::{Association, Certificate, CertificateType};
use crate::pem_check;

/// Why a certificate is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The certificates differ (DER bytes, block by block).
    Certificates,
    /// The same certificates, but one is a CA upload and the other is not.
    CaFlag,
    /// The API did not return the stored certificate's PEM, or it does not parse: it cannot
    /// be compared, so it is replaced.
    Unknown,
}

/// One thing the plan does (or does not do) to one certificate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Step {
    /// Upload a certificate the account lacks.
    Create {
        /// The upload (named).
        upload: Upload,
    },
    /// The account has it already: nothing to do.
    Unchanged {
        /// Its name.
        name: String,
        /// Its ID.
        id: CertificateId,
    },
    /// Delete the stored certificate, then upload the desired one under the same name.
    Replace {
        /// The upload (named).
        upload: Upload,
        /// The stored certificate's ID.
        old: CertificateId,
        /// What differs.
        change: Change,
        /// The services that use the stored certificate: if any, the step is blocked.
        in_use: Vec<Association>,
    },
    /// Delete a `custom` certificate that is not in the desired set (with `prune` only).
    Delete {
        /// Its name, if it has one.
        name: Option<String>,
        /// Its ID.
        id: CertificateId,
        /// The services that use it: if any, the step is blocked.
        in_use: Vec<Association>,
    },
}

impl Step {
    /// The certificate's name (`None` for an unnamed one to delete).
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Create { upload } | Self::Replace { upload, .. } => upload.name.as_deref(),
            Self::Unchanged { name, .. } => Some(name),
            Self::Delete { name, .. } => name.as_deref(),
        }
    }

    /// Whether the step changes the account.
    pub fn is_change(&self) -> bool {
        !matches!(self, Self::Unchanged { .. })
    }

    /// The associations that block a replace or a delete (empty otherwise).
    pub fn in_use(&self) -> &[Association] {
        match self {
            Self::Replace { in_use, .. } | Self::Delete { in_use, .. } => in_use,
            _ => &[],
        }
    }

    /// The stored certificate that a replace or a delete removes.
    pub fn removes(&self) -> Option<&CertificateId> {
        match self {
            Self::Replace { old, .. } => Some(old),
            Self::Delete { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// What the plan will not guess at; a plan with any is not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Several certificates on the account have the name: which one is meant?
    DuplicateName {
        /// The name.
        name: String,
        /// The certificates that have it.
        ids: Vec<CertificateId>,
    },
    /// A certificate of one of Cloudflare's products has the name; it is never touched.
    ManagedName {
        /// The name.
        name: String,
        /// The certificate that has it.
        id: CertificateId,
        /// Its type.
        kind: CertificateType,
    },
    /// A desired certificate has no name, or the same name as another desired one.
    DesiredName {
        /// The name (`None`: no name).
        name: Option<String>,
    },
    /// A certificate on the account that the plan would act on came without an ID.
    NoId {
        /// Its name.
        name: Option<String>,
    },
    /// A certificate `prune` would delete, which the export that wrote the folder left out
    /// (see [`Plan::keep_left_out`]): it has no file because it could not be written, not
    /// because it is unwanted.
    LeftOutByExport {
        /// Its name, if any.
        name: Option<String>,
        /// Its ID.
        id: CertificateId,
        /// Why the export left it out.
        why: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DuplicateName { name, ids } => {
                let ids: Vec<&str> = ids.iter().map(CertificateId::as_str).collect();
                write!(
                    f,
                    "{} certificates on the account are named {name:?} ({}); delete all but one",
                    ids.len(),
                    ids.join(", ")
                )
            }
            Self::ManagedName { name, id, kind } => write!(
                f,
                "{name:?} is the name of a {kind} certificate ({id}), which belongs to a Cloudflare product and is never replaced; choose another name"
            ),
            Self::DesiredName { name: Some(name) } => write!(f, "{name:?} is wanted twice"),
            Self::DesiredName { name: None } => write!(f, "a wanted certificate has no name"),
            Self::NoId { name: Some(name) } => write!(f, "the API listed the certificate {name:?} without its ID"),
            Self::NoId { name: None } => f.write_str("the API listed a certificate without a name or an ID"),
            Self::LeftOutByExport { name, id, why } => {
                match name {
                    Some(name) => write!(f, "{name:?} ({id})")?,
                    None => write!(f, "the unnamed certificate {id}")?,
                }
                write!(
                    f,
                    " has no file because the export that wrote this folder left it out ({why}); --prune would delete it: rename or delete it on the account, or remove it from the manifest's left_out"
                )
            }
        }
    }
}

/// The steps that take an account from its certificates to the desired ones. See the
/// [module docs](self).
#[derive(Debug, Clone)]
pub struct Plan {
    steps: Vec<Step>,
    problems: Vec<Problem>,
}

impl Plan {
    /// The plan from the `current` certificates (all of the account's: every page, every
    /// type) to the `desired` ones, matched by name. With `prune`, the `custom` certificates
    /// not desired are deleted. Steps come in the order to carry them out: creates,
    /// replaces, deletes, each by name; unchanged ones are listed among them.
    pub fn new(desired: &[Upload], current: &[Certificate], prune: bool) -> Self {
        let mut steps = Vec::new();
        let mut problems = Vec::new();
        let mut wanted: Vec<&str> = Vec::new();
        for upload in desired {
            let Some(name) = upload.name.as_deref() else {
                problems.push(Problem::DesiredName { name: None });
                continue;
            };
            if wanted.contains(&name) {
                problems.push(Problem::DesiredName { name: Some(name.to_owned()) });
                continue;
            }
            wanted.push(name);
            let named: Vec<&Certificate> = current.iter().filter(|c| c.name.as_deref() == Some(name)).collect();
            match named.as_slice() {
                [] => steps.push(Step::Create { upload: upload.clone() }),
                [stored] => match (stored.id.clone(), stored.kind.clone().unwrap_or(CertificateType::Custom)) {
                    (None, _) => problems.push(Problem::NoId { name: Some(name.to_owned()) }),
                    (Some(id), CertificateType::Custom) => steps.push(match compare(upload, stored) {
                        None => Step::Unchanged { name: name.to_owned(), id },
                        Some(change) => Step::Replace { upload: upload.clone(), old: id, change, in_use: Vec::new() },
                    }),
                    (Some(id), kind) => problems.push(Problem::ManagedName { name: name.to_owned(), id, kind }),
                },
                several => problems.push(Problem::DuplicateName {
                    name: name.to_owned(),
                    ids: several.iter().filter_map(|c| c.id.clone()).collect(),
                }),
            }
        }
        if prune {
            let unwanted = current.iter().filter(|c| {
                matches!(c.kind.as_ref().unwrap_or(&CertificateType::Custom), CertificateType::Custom)
                    && !c.name.as_deref().is_some_and(|name| wanted.contains(&name))
            });
            for cert in unwanted {
                match &cert.id {
                    Some(id) => {
                        steps.push(Step::Delete { name: cert.name.clone(), id: id.clone(), in_use: Vec::new() })
                    }
                    None => problems.push(Problem::NoId { name: cert.name.clone() }),
                }
            }
        }
        let order = |step: &Step| match step {
            Step::Create { .. } => 0,
            Step::Unchanged { .. } => 1,
            Step::Replace { .. } => 2,
            Step::Delete { .. } => 3,
        };
        steps.sort_by(|a, b| order(a).cmp(&order(b)).then_with(|| a.name().cmp(&b.name())));
        Self { steps, problems }
    }

    /// The steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// What the plan will not guess at.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The certificates the plan would remove (replace or delete): ask the API for each
    /// one's associations and hand them to [`set_in_use`](Self::set_in_use).
    pub fn removals(&self) -> impl Iterator<Item = &CertificateId> {
        self.steps.iter().filter_map(Step::removes)
    }

    /// Records the services that use certificate `id`: a replace or delete of it is blocked
    /// if there are any.
    pub fn set_in_use(&mut self, id: &CertificateId, associations: Vec<Association>) {
        for step in &mut self.steps {
            match step {
                Step::Replace { old, in_use, .. } | Step::Delete { id: old, in_use, .. } if old == id => {
                    in_use.clone_from(&associations);
                }
                _ => {}
            }
        }
    }

    /// Turns each delete of a certificate the folder's export left out (the manifest's
    /// [`left_out`](crate::folder::Manifest::left_out)) into a [`Problem::LeftOutByExport`]:
    /// a partial export followed by `apply --prune` must not delete what only could not be
    /// written.
    pub fn keep_left_out(&mut self, left_out: &[LeftOut]) {
        let listed = |id: &CertificateId| left_out.iter().find(|l| l.id.as_deref() == Some(id.as_str()));
        let mut kept = Vec::new();
        self.steps.retain(|step| match step {
            Step::Delete { name, id, .. } => match listed(id) {
                Some(l) => {
                    kept.push(Problem::LeftOutByExport { name: name.clone(), id: id.clone(), why: l.why.clone() });
                    false
                }
                None => true,
            },
            _ => true,
        });
        self.problems.extend(kept);
    }

    /// The steps blocked by a service that uses the certificate.
    pub fn blocked(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| !s.in_use().is_empty())
    }

    /// Whether any step changes the account.
    pub fn has_changes(&self) -> bool {
        self.steps.iter().any(Step::is_change)
    }

    /// Whether the plan can be carried out: no problem and nothing blocked.
    pub fn is_ready(&self) -> bool {
        self.problems.is_empty() && self.blocked().next().is_none()
    }
}

/// What differs between a desired upload and the stored certificate of the same name
/// (`None`: nothing).
fn compare(upload: &Upload, stored: &Certificate) -> Option<Change> {
    let der =
        |text: &str| pem_check::parse(text).ok().map(|blocks| blocks.into_iter().map(|b| b.der).collect::<Vec<_>>());
    let (Some(wanted), Some(have)) = (der(&upload.certificates), stored.certificates.as_deref().and_then(der)) else {
        return Some(Change::Unknown);
    };
    if wanted.is_empty() || have.is_empty() {
        return Some(Change::Unknown);
    }
    if wanted != have {
        return Some(Change::Certificates);
    }
    match stored.ca {
        Some(ca) if ca != upload.ca => Some(Change::CaFlag),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::account;
    use crate::test_fixtures::{CA_PEM, LEAF_PEM};

    fn stored(id: &str, name: &str, ca: bool, pem: &str, kind: &str) -> Certificate {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "ca": ca, "certificates": pem, "type": kind,
        }))
        .unwrap()
    }

    fn want(name: &str, pem: &str, ca: bool) -> Upload {
        let upload = if ca { Upload::ca(account(), pem) } else { Upload::leaf(account(), pem) };
        upload.with_name(name)
    }

    /// The step kinds and names, for comparing plans.
    fn shape(plan: &Plan) -> Vec<(&'static str, Option<&str>)> {
        plan.steps()
            .iter()
            .map(|s| {
                let kind = match s {
                    Step::Create { .. } => "create",
                    Step::Unchanged { .. } => "unchanged",
                    Step::Replace { .. } => "replace",
                    Step::Delete { .. } => "delete",
                };
                (kind, s.name())
            })
            .collect()
    }

    #[test]
    fn pem_rewriting_is_not_a_change() {
        // As the API stores PEM: CRLF, 76-column lines, no final newline, a chain re-wrapped.
        let body: String = CA_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        let wrapped: Vec<&str> = body.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
        let rewritten = format!("-----BEGIN CERTIFICATE-----\r\n{}\r\n-----END CERTIFICATE-----", wrapped.join("\r\n"));
        let plan = Plan::new(&[want("a", CA_PEM, true)], &[stored("1", "a", true, &rewritten, "custom")], false);
        assert_eq!(shape(&plan), [("unchanged", Some("a"))]);
        assert!(!plan.has_changes() && plan.is_ready());
    }

    #[test]
    fn every_kind_of_step() {
        let chain = format!("{LEAF_PEM}{CA_PEM}");
        let desired = [
            want("new", CA_PEM, true),
            want("same", CA_PEM, true),
            want("other-der", &chain, false),
            want("flag", CA_PEM, true),
        ];
        let current = [
            stored("1", "same", true, CA_PEM, "custom"),
            stored("2", "other-der", false, LEAF_PEM, "custom"),
            stored("3", "flag", false, CA_PEM, "custom"),
            stored("4", "gone", true, CA_PEM, "custom"),
            stored("5", "gateway", true, CA_PEM, "gateway_managed"),
        ];
        let kept = Plan::new(&desired, &current, false);
        assert_eq!(
            shape(&kept),
            [
                ("create", Some("new")),
                ("unchanged", Some("same")),
                ("replace", Some("flag")),
                ("replace", Some("other-der"))
            ]
        );
        let changes: Vec<_> = kept
            .steps()
            .iter()
            .filter_map(|s| if let Step::Replace { change, .. } = s { Some(*change) } else { None })
            .collect();
        assert_eq!(changes, [Change::CaFlag, Change::Certificates]);
        let pruned = Plan::new(&desired, &current, true);
        assert_eq!(shape(&pruned).last(), Some(&("delete", Some("gone"))));
        assert_eq!(pruned.steps().len(), 5, "the managed certificate is never deleted");
        assert_eq!(pruned.removals().map(CertificateId::as_str).collect::<Vec<_>>(), ["3", "2", "4"]);
        // Every step but `unchanged` changes the account, and a plan with one has changes:
        // what `apply` says it did and `apply --dry-run` says it would do.
        let changing: Vec<bool> = pruned.steps().iter().map(Step::is_change).collect();
        assert_eq!(changing, [true, false, true, true, true]);
        assert!(kept.has_changes() && pruned.has_changes());
    }

    #[test]
    fn in_use_blocks_a_replace_or_delete() {
        let current = [stored("1", "a", true, LEAF_PEM, "custom"), stored("2", "b", true, CA_PEM, "custom")];
        let mut plan = Plan::new(&[want("a", CA_PEM, true)], &current, true);
        assert!(plan.is_ready());
        let used: Association =
            serde_json::from_value(serde_json::json!({"service": "gateway", "status": "active"})).unwrap();
        plan.set_in_use(&CertificateId::new("2").unwrap(), vec![used]);
        assert!(!plan.is_ready());
        assert_eq!(plan.blocked().map(Step::name).collect::<Vec<_>>(), [Some("b")]);
    }

    #[test]
    fn what_is_not_guessed() {
        let current = [
            stored("1", "twice", true, CA_PEM, "custom"),
            stored("2", "twice", true, CA_PEM, "custom"),
            stored("3", "access", true, CA_PEM, "access_managed"),
            stored("4", "future", true, CA_PEM, "some_new_type"),
        ];
        let unnamed = Upload::ca(account(), CA_PEM);
        let desired = [
            want("twice", CA_PEM, true),
            want("access", CA_PEM, true),
            want("future", CA_PEM, true),
            unnamed,
            want("x", CA_PEM, true),
            want("x", CA_PEM, true),
        ];
        let plan = Plan::new(&desired, &current, true);
        let problems: Vec<String> = plan.problems().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].contains("2 certificates") && problems[0].contains("1, 2"), "{}", problems[0]);
        assert!(problems[1].contains("access_managed"), "{}", problems[1]);
        assert!(problems[2].contains("some_new_type"), "{}", problems[2]);
        assert!(!plan.is_ready());
        assert_eq!(shape(&plan), [("create", Some("x"))]);
    }

    #[test]
    fn prune_keeps_what_the_export_left_out() {
        let current = [stored("1", "a", true, CA_PEM, "custom"), stored("2", "bad\nname", true, CA_PEM, "custom")];
        let manifest = crate::folder::Manifest::from_json(
            r#"{"left_out": [{"id": "2", "name": "bad\nname", "why": "its name cannot be a file name"}]}"#,
        )
        .unwrap();
        let mut plan = Plan::new(&[want("a", CA_PEM, true)], &current, true);
        assert_eq!(shape(&plan), [("unchanged", Some("a")), ("delete", Some("bad\nname"))]);
        plan.keep_left_out(manifest.left_out());
        assert_eq!(shape(&plan), [("unchanged", Some("a"))]);
        assert!(!plan.is_ready());
        let problem = plan.problems()[0].to_string();
        assert!(
            problem.contains("(2)") && problem.contains("left it out") && problem.contains("file name"),
            "{problem}"
        );
    }

    #[test]
    fn unreadable_stored_pem_is_replaced() {
        let mut cert = stored("1", "a", true, "garbage", "custom");
        assert!(matches!(
            Plan::new(&[want("a", CA_PEM, true)], &[cert.clone()], false).steps(),
            [Step::Replace { change: Change::Unknown, .. }]
        ));
        cert.certificates = None;
        assert!(matches!(
            Plan::new(&[want("a", CA_PEM, true)], &[cert], false).steps(),
            [Step::Replace { change: Change::Unknown, .. }]
        ));
    }

    #[test]
    fn problems_read_without_debug_text() {
        let id = CertificateId::new("abc").unwrap();
        let problems = [
            Problem::DuplicateName { name: "n".into(), ids: vec![id.clone(), id.clone()] },
            Problem::ManagedName { name: "n".into(), id, kind: CertificateType::Other("gateway_managed".into()) },
            Problem::DesiredName { name: Some("n".into()) },
            Problem::DesiredName { name: None },
            Problem::NoId { name: Some("noid".into()) },
            Problem::NoId { name: None },
        ];
        for problem in problems {
            let text = problem.to_string();
            assert!(!text.contains("Some(") && !text.contains("None"), "{text}");
        }
        assert_eq!(
            Problem::NoId { name: Some("noid".into()) }.to_string(),
            "the API listed the certificate \"noid\" without its ID"
        );
    }
}
