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
//! A folder may also declare the hostnames each CA holds in each zone
//! ([`DeclaredHostnames`]); [`Plan::with_hostnames`] then plans those too, in the
//! [`Action`]s the steps expand to: a new CA is given its hostnames after its upload; a CA
//! whose certificates changed is **rotated** (the new CA uploaded, given the hostnames, the
//! old one's lists emptied, the old one deleted: [`Step::Rotate`]); a CA `prune` deletes has
//! its lists emptied first. The account's CAs are counted at every action against the limit
//! ([`Plan::set_ca_limit`], five by default): a plan that would pass it is blocked
//! ([`Problem::CaLimit`]) instead of failing halfway.
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

use std::collections::{BTreeMap, BTreeSet};

use crate::calls::Upload;
use crate::folder::{DeclaredHostnames, LeftOut};
use crate::hostname::Hostname;
use crate::id::{CertificateId, ZoneId};
use crate::model::{Association, Certificate, CertificateType};
use crate::pem_check;

mod actions;

pub use actions::{Action, CertRef};

/// The CAs an account may hold for mTLS, as Cloudflare documents ("up to five", shared by
/// API Shield, Workers mTLS and Gateway): the plan's default limit.
pub const DEFAULT_CA_LIMIT: usize = 5;

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
    /// Rotate a CA whose certificates changed, where hostnames are in play (declared for
    /// it, or a zone to look in): the hostnames move to the new CA before the old one goes.
    /// The API may refuse a second certificate of a name, so the new CA is first uploaded as
    /// a stand-in, `NAME (rotating)` ([`stand_in_name`]): the stand-in gets the hostnames,
    /// the old CA is emptied and deleted, the new CA is uploaded as `NAME` and gets them,
    /// the stand-in is emptied and deleted. Clients whose certificates chain only to the old
    /// CA are refused from the write that gives the stand-in the hostnames: the API
    /// prioritises the most recently deployed CA, and documents no overlap. A rotation cut
    /// short goes on from where it stopped (the fields below say where that is).
    Rotate {
        /// The new CA's upload (named `NAME`).
        upload: Upload,
        /// The old CA (`None` once it is deleted).
        old: Option<CertificateId>,
        /// The stand-in, once uploaded.
        stand_in: Option<CertificateId>,
        /// The new CA under `NAME`, once uploaded (then only the stand-in is left to retire).
        new: Option<CertificateId>,
        /// What differs between the old and the new.
        change: Change,
        /// The services that use the old CA: if any, the step is blocked.
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
            Self::Create { upload } | Self::Replace { upload, .. } | Self::Rotate { upload, .. } => {
                upload.name.as_deref()
            }
            Self::Unchanged { name, .. } => Some(name),
            Self::Delete { name, .. } => name.as_deref(),
        }
    }

    /// Whether the step changes the certificate (its hostnames may change either way: see
    /// [`Plan::actions`]).
    pub fn is_change(&self) -> bool {
        !matches!(self, Self::Unchanged { .. })
    }

    /// The associations that block a replace or a delete (empty otherwise).
    pub fn in_use(&self) -> &[Association] {
        match self {
            Self::Replace { in_use, .. } | Self::Rotate { in_use, .. } | Self::Delete { in_use, .. } => in_use,
            _ => &[],
        }
    }

    /// The stored certificate that a replace or a delete removes.
    pub fn removes(&self) -> Option<&CertificateId> {
        match self {
            Self::Replace { old, .. } => Some(old),
            Self::Rotate { old, .. } => old.as_ref(),
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
    /// The plan would hold more CAs at once than the account may.
    CaLimit {
        /// The limit.
        limit: usize,
        /// The CAs the account holds now.
        now: usize,
        /// The most the plan would hold at once, in its best order.
        peak: usize,
        /// The certificate whose upload would pass the limit.
        name: Option<String>,
    },
    /// A certificate has the name of a rotation's stand-in ([`stand_in_name`]) but not the
    /// certificates the folder wants: not one a rotation of this folder left.
    StandIn {
        /// The stand-in's name.
        name: String,
        /// Its ID.
        id: Option<CertificateId>,
    },
    /// The folder declares hostnames for a certificate it does not upload as a CA.
    HostnamesNotCa {
        /// The name.
        name: String,
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
            Self::CaLimit { limit, now, peak, name } => {
                write!(f, "the plan needs {peak} CAs at once (the account holds {now}), over the limit of {limit}")?;
                if let Some(name) = name {
                    write!(f, " at the upload of {name:?}")?;
                }
                f.write_str(
                    "; a rotation holds the old and the new CA at once: delete a CA the account no longer needs (or drop it from the folder and apply with --prune), or, if Cloudflare raised the account's limit, say so with --ca-limit",
                )
            }
            Self::StandIn { name, id } => write!(
                f,
                "{name:?} ({}) has the name of a rotation's stand-in, but not the certificates the folder wants: delete or rename it on the account, then plan again",
                id.as_ref().map_or("no ID", CertificateId::as_str)
            ),
            Self::HostnamesNotCa { name } => write!(
                f,
                "the manifest declares hostnames for {name:?}, which the folder does not upload as a CA: only a CA can hold hostnames"
            ),
        }
    }
}

/// The steps that take an account from its certificates to the desired ones. See the
/// [module docs](self).
#[derive(Debug, Clone)]
pub struct Plan {
    steps: Vec<Step>,
    problems: Vec<Problem>,
    /// The hostnames the folder declares, for the CAs it uploads.
    declared: DeclaredHostnames,
    /// The zones where a CA the plan removes has its lists emptied.
    zones: BTreeSet<ZoneId>,
    /// What each (zone, CA) pair holds, as read.
    held: BTreeMap<(ZoneId, CertificateId), Vec<Hostname>>,
    /// The account's CAs that count toward the limit, and how many there are.
    cas: BTreeSet<CertificateId>,
    ca_count: usize,
    ca_limit: usize,
    /// The steps' API calls, in order; and the most CAs held at once.
    actions: Vec<Action>,
    peak: usize,
}

impl Plan {
    /// The plan from the `current` certificates (all of the account's: every page, every
    /// type) to the `desired` ones, matched by name. With `prune`, the `custom` certificates
    /// not desired are deleted. Steps come in the order to carry them out: creates,
    /// replaces, deletes, each by name; unchanged ones are listed among them.
    pub fn new(desired: &[Upload], current: &[Certificate], prune: bool) -> Self {
        Self::with_hostnames(desired, current, prune, &DeclaredHostnames::new(), [])
    }

    /// [`new`](Self::new), and the hostnames the folder declares for its CAs (by name and
    /// zone: only those pairs are read and written). `zones` adds zones to those declared
    /// where a CA the plan removes (a rotated or pruned one) has its lists emptied before it
    /// is deleted: the API refuses to delete a CA that holds hostnames, and has no call that
    /// finds a CA's zones. Then read each pair of [`reads`](Self::reads) and hand it to
    /// [`set_hostnames`](Self::set_hostnames).
    ///
    /// ```
    /// use cloudflare_mtls::folder::DeclaredHostnames;
    /// use cloudflare_mtls::plan::{Action, Plan, Step};
    /// use cloudflare_mtls::{AccountId, Certificate, Hostname, Upload, ZoneId};
    ///
    /// let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
    /// let zone = ZoneId::new("9a7806061c88ada191ed06f989cc3dac")?;
    /// // The folder: team-ca with a new PEM, holding api.example.com in the zone.
    /// let new_pem = include_str!("../tests/fixtures/ca-ed25519.pem");
    /// let desired = [Upload::ca(account, new_pem).with_name("team-ca")];
    /// let mut hostnames = DeclaredHostnames::new();
    /// hostnames.entry("team-ca".into()).or_default().insert(zone.clone(), vec![Hostname::new("api.example.com")?]);
    /// // The account: team-ca with the old PEM.
    /// let stored: Certificate = serde_json::from_value(serde_json::json!({
    ///     "id": "2458ce5a", "name": "team-ca", "ca": true, "type": "custom",
    ///     "certificates": include_str!("../tests/fixtures/ca-p256.pem"),
    /// }))?;
    /// let mut plan = Plan::with_hostnames(&desired, &[stored], false, &hostnames, []);
    /// assert!(matches!(plan.steps(), [Step::Rotate { .. }]));
    /// // What the old CA holds, as read with `Hostnames` (here: the same name).
    /// for (zone, id) in plan.reads() {
    ///     plan.set_hostnames(&zone, &id, vec![Hostname::new("api.example.com")?]);
    /// }
    /// // Two uploads, four hostname writes, two deletes; one CA more for a moment.
    /// let uploads = plan.actions().iter().filter(|a| matches!(a, Action::Upload { .. })).count();
    /// assert_eq!((uploads, plan.actions().len(), plan.ca_count()), (2, 8, (1, 2)));
    /// assert!(plan.is_ready());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_hostnames(
        desired: &[Upload],
        current: &[Certificate],
        prune: bool,
        hostnames: &DeclaredHostnames,
        zones: impl IntoIterator<Item = ZoneId>,
    ) -> Self {
        let mut zones: BTreeSet<ZoneId> = zones.into_iter().collect();
        zones.extend(hostnames.values().flat_map(|z| z.keys().cloned()));
        // A CA's change is a rotation where hostnames are in play: its own declared, or any
        // zone the plan looks in (the old CA's lists there go to the new one).
        let rotates = |name: &str| hostnames.contains_key(name) || !zones.is_empty();
        let mut steps = Vec::new();
        let mut problems = Vec::new();
        let mut wanted: Vec<&str> = Vec::new();
        // The stand-ins of rotations under way: theirs to retire, not prune's.
        let mut kept: Vec<String> = Vec::new();
        let custom =
            |c: &Certificate| matches!(c.kind.as_ref().unwrap_or(&CertificateType::Custom), CertificateType::Custom);
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
            // A rotation's stand-in, if one was left by a rotation cut short.
            let stand_in = stand_in_name(name);
            let stand_ins: Vec<&Certificate> = match rotates(name) && upload.ca {
                true => current.iter().filter(|c| c.name.as_deref() == Some(stand_in.as_str())).collect(),
                false => Vec::new(),
            };
            if !stand_ins.is_empty() {
                kept.push(stand_in.clone());
            }
            let rotate = |old, stand_in, new, change| Step::Rotate {
                upload: upload.clone(),
                old,
                stand_in,
                new,
                change,
                in_use: Vec::new(),
            };
            let stand_in_id = match stand_ins.as_slice() {
                [] => None,
                [t] if custom(t) && compare(upload, t).is_none() && t.id.is_some() => t.id.clone(),
                [t] => {
                    problems.push(Problem::StandIn { name: stand_in, id: t.id.clone() });
                    continue;
                }
                several => {
                    let ids = several.iter().filter_map(|c| c.id.clone()).collect();
                    problems.push(Problem::DuplicateName { name: stand_in, ids });
                    continue;
                }
            };
            match (named.as_slice(), stand_in_id) {
                ([], None) => steps.push(Step::Create { upload: upload.clone() }),
                ([], Some(t)) => steps.push(rotate(None, Some(t), None, Change::Certificates)),
                ([stored], stand_in) => {
                    match (stored.id.clone(), stored.kind.clone().unwrap_or(CertificateType::Custom)) {
                        (None, _) => problems.push(Problem::NoId { name: Some(name.to_owned()) }),
                        (Some(id), CertificateType::Custom) => match (compare(upload, stored), stand_in) {
                            (None, None) => steps.push(Step::Unchanged { name: name.to_owned(), id }),
                            (None, Some(t)) => steps.push(rotate(None, Some(t), Some(id), Change::Certificates)),
                            // A CA that may hold hostnames: the new one takes them over before
                            // the old one goes.
                            (Some(change), t) if rotates(name) && upload.ca && stored.ca != Some(false) => {
                                steps.push(rotate(Some(id), t, None, change));
                            }
                            (Some(change), None) => steps.push(Step::Replace {
                                upload: upload.clone(),
                                old: id,
                                change,
                                in_use: Vec::new(),
                            }),
                            (Some(_), Some(t)) => {
                                problems.push(Problem::StandIn { name: stand_in_name(name), id: Some(t) })
                            }
                        },
                        (Some(id), kind) => problems.push(Problem::ManagedName { name: name.to_owned(), id, kind }),
                    }
                }
                (several, _) => problems.push(Problem::DuplicateName {
                    name: name.to_owned(),
                    ids: several.iter().filter_map(|c| c.id.clone()).collect(),
                }),
            }
        }
        if prune {
            let unwanted = current.iter().filter(|c| {
                matches!(c.kind.as_ref().unwrap_or(&CertificateType::Custom), CertificateType::Custom)
                    && !c.name.as_deref().is_some_and(|name| wanted.contains(&name) || kept.iter().any(|k| k == name))
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
        // Only the folder's CAs hold hostnames; a name declared otherwise is a problem.
        let is_ca = |name: &str| desired.iter().any(|u| u.name.as_deref() == Some(name) && u.ca);
        let declared: DeclaredHostnames =
            hostnames.iter().filter(|(name, _)| is_ca(name)).map(|(n, z)| (n.clone(), z.clone())).collect();
        problems.extend(
            hostnames.keys().filter(|name| !is_ca(name)).map(|name| Problem::HostnamesNotCa { name: name.clone() }),
        );
        let counts =
            |c: &&Certificate| c.ca == Some(true) && !matches!(c.kind.as_ref(), Some(CertificateType::AccessManaged));
        let cas = current.iter().filter(counts).filter_map(|c| c.id.clone()).collect();
        let ca_count = current.iter().filter(counts).count();
        let mut plan = Self {
            steps,
            problems,
            declared,
            zones,
            held: BTreeMap::new(),
            cas,
            ca_count,
            ca_limit: DEFAULT_CA_LIMIT,
            actions: Vec::new(),
            peak: ca_count,
        };
        plan.schedule();
        plan
    }

    /// The (zone, CA) pairs whose hostnames the plan needs: read each and hand the list to
    /// [`set_hostnames`](Self::set_hostnames). A pair not handed in is written as if it held
    /// something (a needless write, never a missed one).
    pub fn reads(&self) -> Vec<(ZoneId, CertificateId)> {
        let mut pairs = BTreeSet::new();
        for step in &self.steps {
            let declared =
                |name: Option<&str>| name.and_then(|n| self.declared.get(n)).into_iter().flat_map(|z| z.keys());
            match step {
                Step::Unchanged { name, id } => pairs.extend(declared(Some(name)).map(|z| (z.clone(), id.clone()))),
                Step::Rotate { old, stand_in, new, .. } => {
                    for id in old.iter().chain(stand_in).chain(new) {
                        pairs.extend(self.zones.iter().map(|z| (z.clone(), id.clone())));
                    }
                }
                Step::Replace { old: id, .. } | Step::Delete { id, .. } if self.cas.contains(id) => {
                    pairs.extend(self.zones.iter().map(|z| (z.clone(), id.clone())));
                }
                _ => {}
            }
        }
        pairs.into_iter().collect()
    }

    /// Records what CA `id` holds in `zone`, as read.
    pub fn set_hostnames(&mut self, zone: &ZoneId, id: &CertificateId, hostnames: Vec<Hostname>) {
        self.held.insert((zone.clone(), id.clone()), hostnames);
        self.schedule();
    }

    /// The most CAs the account may hold ([`DEFAULT_CA_LIMIT`] unless set).
    pub fn set_ca_limit(&mut self, limit: usize) {
        self.ca_limit = limit;
        self.schedule();
    }

    /// The API calls that carry the plan out, in order, each naming its step (an index into
    /// [`steps`](Self::steps)).
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The CAs the account holds now (those that count toward the limit: `ca: true`, but
    /// not `access_managed`, since Access has a quota of its own), and the most it holds at
    /// once while the plan is carried out.
    pub fn ca_count(&self) -> (usize, usize) {
        (self.ca_count, self.peak)
    }

    /// The limit the plan is held to.
    pub fn ca_limit(&self) -> usize {
        self.ca_limit
    }

    /// The zones whose hostnames the plan reads and writes (the rest, and each zone's
    /// Cloudflare-managed CA, are left alone).
    pub fn zones(&self) -> &BTreeSet<ZoneId> {
        &self.zones
    }

    /// Orders the steps and expands them into actions: creates, unchanged, replaces,
    /// rotations, deletes, each by name; or, if that would pass the CA limit, deletes,
    /// unchanged, replaces, rotations, creates. If neither order stays within it (none
    /// does), the plan is blocked with [`Problem::CaLimit`].
    fn schedule(&mut self) {
        self.problems.retain(|p| !matches!(p, Problem::CaLimit { .. }));
        if self.arrange(false).is_none() || self.arrange(true).is_none() {
            return;
        }
        // Neither order: the usual one, saying where it passes the limit.
        if let Some(name) = self.arrange(false) {
            let (limit, now, peak) = (self.ca_limit, self.ca_count, self.peak);
            self.problems.push(Problem::CaLimit { limit, now, peak, name });
        }
    }

    /// Sorts the steps (the deletes first and the creates last, or the other way) and
    /// expands them; `Some(name)` if the
    /// upload of `name` would pass the CA limit.
    fn arrange(&mut self, deletes_first: bool) -> Option<Option<String>> {
        // The usual order makes before it takes away. The other holds the fewest CAs at
        // once: what frees a slot (a CA's delete, or its replace by a leaf), then what keeps
        // the count, then rotations (each holds one more CA for a moment), then what adds one.
        let cas = &self.cas;
        let order = |step: &Step| match (step, deletes_first) {
            (Step::Create { .. }, false) => 0,
            (Step::Unchanged { .. }, false) => 1,
            (Step::Replace { .. }, false) => 2,
            (Step::Rotate { .. }, false) => 3,
            (Step::Delete { .. }, false) => 4,
            (Step::Delete { id, .. }, true) if cas.contains(id) => 0,
            (Step::Replace { upload, old, .. }, true) if cas.contains(old) != upload.ca => {
                if upload.ca {
                    4
                } else {
                    0
                }
            }
            (Step::Rotate { .. }, true) => 3,
            (Step::Create { upload }, true) if upload.ca => 4,
            (_, true) => 1,
        };
        let mut steps = std::mem::take(&mut self.steps);
        steps.sort_by(|a, b| order(a).cmp(&order(b)).then_with(|| a.name().cmp(&b.name())));
        self.steps = steps;
        self.actions = actions::expand(self);
        let passed;
        (self.peak, passed) = actions::count(self, &self.actions);
        passed
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

    /// Whether any step changes the account (a certificate, or a pair's hostnames).
    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }

    /// Whether the plan can be carried out: no problem and nothing blocked.
    pub fn is_ready(&self) -> bool {
        self.problems.is_empty() && self.blocked().next().is_none()
    }
}

/// The name a rotation of `name` uploads its new CA under first: `NAME (rotating)`.
pub fn stand_in_name(name: &str) -> String {
    format!("{name} (rotating)")
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
                    Step::Rotate { .. } => "rotate",
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

#[cfg(test)]
mod hostname_tests {
    use super::*;
    use crate::calls::test_support::account;
    use crate::test_fixtures::{CA_PEM, LEAF_PEM};

    const OTHER_CA: &str = include_str!("../tests/fixtures/ca-ed25519.pem");

    fn zone() -> ZoneId {
        ZoneId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
    }

    fn hosts(names: &[&str]) -> Vec<Hostname> {
        names.iter().map(|n| Hostname::new(*n).unwrap()).collect()
    }

    fn stored(id: &str, name: &str, ca: bool, pem: &str) -> Certificate {
        serde_json::from_value(
            serde_json::json!({"id": id, "name": name, "ca": ca, "certificates": pem, "type": "custom"}),
        )
        .unwrap()
    }

    fn declare(name: &str, list: &[&str]) -> DeclaredHostnames {
        let mut declared = DeclaredHostnames::new();
        declared.entry(name.to_owned()).or_default().insert(zone(), hosts(list));
        declared
    }

    fn id(text: &str) -> CertificateId {
        CertificateId::new(text).unwrap()
    }

    /// The actions as text: `upload NAME`, `hostnames CA [list]`, `delete ID`.
    fn calls(plan: &Plan) -> Vec<String> {
        plan.actions()
            .iter()
            .map(|a| match a {
                Action::Upload { upload, .. } => format!("upload {}", upload.name.as_deref().unwrap_or("")),
                Action::Hostnames { ca, hostnames, .. } => {
                    let ca = match ca {
                        CertRef::Id(id) => id.to_string(),
                        CertRef::Uploaded(name) => format!("new {name}"),
                    };
                    let list: Vec<&str> = hostnames.iter().map(Hostname::as_str).collect();
                    format!("hostnames {ca} [{}]", list.join(" "))
                }
                Action::Delete { id: CertRef::Uploaded(name), .. } => format!("delete new {name}"),
                Action::Delete { id, .. } => format!("delete {id}"),
            })
            .collect()
    }

    fn team(pem: &str) -> Upload {
        Upload::ca(account(), pem).with_name("team")
    }

    #[test]
    fn a_new_ca_gets_its_hostnames_after_its_upload() {
        let plan = Plan::with_hostnames(&[team(CA_PEM)], &[], false, &declare("team", &["api.example.com"]), []);
        assert_eq!(calls(&plan), ["upload team", "hostnames new team [api.example.com]"]);
        assert!(plan.reads().is_empty() && plan.is_ready() && plan.has_changes());
        // Declared empty: nothing to give.
        let plan = Plan::with_hostnames(&[team(CA_PEM)], &[], false, &declare("team", &[]), []);
        assert_eq!(calls(&plan), ["upload team"]);
    }

    #[test]
    fn an_unchanged_ca_is_read_and_written_only_when_its_list_differs() {
        let current = [stored("1", "team", true, CA_PEM)];
        let mut plan =
            Plan::with_hostnames(&[team(CA_PEM)], &current, false, &declare("team", &["api.example.com"]), []);
        assert_eq!(plan.reads(), [(zone(), id("1"))]);
        assert_eq!(calls(&plan), ["hostnames 1 [api.example.com]"], "not read: written");
        plan.set_hostnames(&zone(), &id("1"), hosts(&["API.example.com"]));
        assert_eq!(calls(&plan), Vec::<String>::new(), "case aside, the same list");
        assert!(!plan.has_changes());
        plan.set_hostnames(&zone(), &id("1"), hosts(&["api.example.com", "old.example.com"]));
        assert_eq!(calls(&plan), ["hostnames 1 [api.example.com]"]);
        let removed: Vec<&str> =
            plan.actions()[0].removed_hostnames().unwrap().into_iter().map(Hostname::as_str).collect();
        assert_eq!(removed, ["old.example.com"]);
        assert!(plan.actions()[0].is_destructive() && plan.actions()[0].added_hostnames().is_empty());
    }

    #[test]
    fn a_changed_ca_with_hostnames_is_rotated_through_a_stand_in() {
        let declared = declare("team", &["api.example.com"]);
        let current = [stored("1", "team", true, CA_PEM)];
        let mut plan = Plan::with_hostnames(&[team(OTHER_CA)], &current, false, &declared, []);
        assert!(matches!(plan.steps(), [Step::Rotate { old: Some(_), stand_in: None, new: None, .. }]));
        assert_eq!(plan.reads(), [(zone(), id("1"))]);
        plan.set_hostnames(&zone(), &id("1"), hosts(&["api.example.com"]));
        let all = [
            "upload team (rotating)",
            "hostnames new team (rotating) [api.example.com]",
            "hostnames 1 []",
            "delete 1",
            "upload team",
            "hostnames new team [api.example.com]",
            "hostnames new team (rotating) []",
            "delete new team (rotating)",
        ];
        assert_eq!(calls(&plan), all);
        assert_eq!(plan.ca_count(), (1, 2));
        assert_eq!(plan.removals().collect::<Vec<_>>(), [&id("1")]);
        // Cut short after the stand-in took the hostnames: it goes on from there.
        let both = [stored("1", "team", true, CA_PEM), stored("2", "team (rotating)", true, OTHER_CA)];
        let mut plan = Plan::with_hostnames(&[team(OTHER_CA)], &both, false, &declared, []);
        assert!(matches!(plan.steps(), [Step::Rotate { stand_in: Some(t), .. }] if t == &id("2")));
        assert_eq!(plan.reads(), [(zone(), id("1")), (zone(), id("2"))]);
        plan.set_hostnames(&zone(), &id("1"), hosts(&["api.example.com"]));
        plan.set_hostnames(&zone(), &id("2"), hosts(&["api.example.com"]));
        assert_eq!(calls(&plan)[..2], ["hostnames 1 []", "delete 1"]);
        assert_eq!(
            calls(&plan)[2..],
            ["upload team", "hostnames new team [api.example.com]", "hostnames 2 []", "delete 2"]
        );
        assert_eq!(plan.ca_count(), (2, 2));
        // After the old one went.
        let plan = Plan::with_hostnames(&[team(OTHER_CA)], &both[1..], false, &declared, []);
        assert!(matches!(plan.steps(), [Step::Rotate { old: None, stand_in: Some(_), new: None, .. }]));
        // After the new one was uploaded: only the stand-in to retire.
        let last = [stored("3", "team", true, OTHER_CA), stored("2", "team (rotating)", true, OTHER_CA)];
        let mut plan = Plan::with_hostnames(&[team(OTHER_CA)], &last, false, &declared, []);
        assert!(matches!(plan.steps(), [Step::Rotate { old: None, new: Some(n), .. }] if n == &id("3")));
        plan.set_hostnames(&zone(), &id("3"), hosts(&["api.example.com"]));
        plan.set_hostnames(&zone(), &id("2"), hosts(&["api.example.com"]));
        assert_eq!(calls(&plan), ["hostnames 2 []", "delete 2"]);
        // A stand-in with other certificates is not this folder's: not guessed at.
        let stray = [stored("1", "team", true, CA_PEM), stored("2", "team (rotating)", true, LEAF_PEM)];
        let plan = Plan::with_hostnames(&[team(OTHER_CA)], &stray, true, &declared, []);
        let problem = plan.problems()[0].to_string();
        assert!(problem.contains("\"team (rotating)\" (2) has the name of a rotation's stand-in"), "{problem}");
        // Two of the name: not a rotation to guess at.
        let twice = [stored("1", "team", true, CA_PEM), stored("2", "team", true, LEAF_PEM)];
        let plan = Plan::with_hostnames(&[team(OTHER_CA)], &twice, false, &declared, []);
        assert!(matches!(plan.problems(), [Problem::DuplicateName { .. }]));
    }

    #[test]
    fn without_hostnames_a_ca_is_replaced_and_with_a_zone_its_lists_move() {
        let current = [stored("1", "team", true, CA_PEM)];
        let plan = Plan::new(&[team(OTHER_CA)], &current, false);
        assert_eq!(calls(&plan), ["delete 1", "upload team"]);
        assert_eq!(plan.ca_count(), (1, 1));
        // A zone to look in: the old CA's lists there go to the new one.
        let mut plan = Plan::with_hostnames(&[team(OTHER_CA)], &current, false, &DeclaredHostnames::new(), [zone()]);
        plan.set_hostnames(&zone(), &id("1"), hosts(&["kept.example.com"]));
        assert_eq!(
            calls(&plan),
            [
                "upload team (rotating)",
                "hostnames new team (rotating) [kept.example.com]",
                "hostnames 1 []",
                "delete 1",
                "upload team",
                "hostnames new team [kept.example.com]",
                "hostnames new team (rotating) []",
                "delete new team (rotating)",
            ]
        );
        // A CA turned into a leaf loses its hostnames first.
        let leaf = Upload::leaf(account(), LEAF_PEM).with_name("team");
        let mut plan = Plan::with_hostnames(&[leaf], &current, false, &DeclaredHostnames::new(), [zone()]);
        assert!(matches!(plan.steps(), [Step::Replace { .. }]));
        plan.set_hostnames(&zone(), &id("1"), hosts(&["gone.example.com"]));
        assert_eq!(calls(&plan), ["hostnames 1 []", "delete 1", "upload team"]);
        assert_eq!(plan.ca_count(), (1, 1));
    }

    #[test]
    fn a_pruned_ca_is_emptied_then_deleted() {
        let current = [
            stored("1", "team", true, CA_PEM),
            stored("2", "old", true, OTHER_CA),
            stored("3", "leaf", false, LEAF_PEM),
        ];
        let mut plan = Plan::with_hostnames(&[team(CA_PEM)], &current, true, &declare("team", &[]), []);
        assert_eq!(plan.reads(), [(zone(), id("1")), (zone(), id("2"))], "the leaf holds none");
        plan.set_hostnames(&zone(), &id("1"), Vec::new());
        assert_eq!(calls(&plan), ["delete 3", "hostnames 2 []", "delete 2"], "not read: emptied");
        plan.set_hostnames(&zone(), &id("2"), Vec::new());
        assert_eq!(calls(&plan), ["delete 3", "delete 2"]);
        assert_eq!(plan.zones().iter().collect::<Vec<_>>(), [&zone()]);
    }

    #[test]
    fn the_ca_limit_orders_the_plan_or_blocks_it() {
        let current = [stored("1", "team", true, CA_PEM), stored("2", "old", true, OTHER_CA)];
        let other = include_str!("../tests/fixtures/ca-rsa2048.pem");
        let new = Upload::ca(account(), other).with_name("new");
        // At the limit of 2: the prune goes first, so the new CA fits.
        let mut plan = Plan::with_hostnames(&[team(CA_PEM), new.clone()], &current, true, &declare("team", &[]), []);
        plan.set_hostnames(&zone(), &id("1"), Vec::new());
        plan.set_hostnames(&zone(), &id("2"), Vec::new());
        assert_eq!(calls(&plan), ["upload new", "delete 2"], "within the default limit: makes first");
        plan.set_ca_limit(2);
        assert_eq!(calls(&plan), ["delete 2", "upload new"]);
        assert!(plan.is_ready());
        assert_eq!((plan.ca_count(), plan.ca_limit()), ((2, 2), 2));
        // Without the prune nothing frees a slot: blocked, saying why and what to do.
        let mut plan = Plan::with_hostnames(&[team(CA_PEM), new], &current, false, &declare("team", &[]), []);
        plan.set_ca_limit(2);
        assert!(!plan.is_ready());
        let problem = plan.problems().iter().find(|p| matches!(p, Problem::CaLimit { .. })).unwrap().to_string();
        assert_eq!(
            problem,
            "the plan needs 3 CAs at once (the account holds 2), over the limit of 2 at the upload of \"new\"; a rotation holds the old and the new CA at once: delete a CA the account no longer needs (or drop it from the folder and apply with --prune), or, if Cloudflare raised the account's limit, say so with --ca-limit"
        );
        plan.set_ca_limit(3);
        assert!(plan.is_ready(), "the problem goes with a higher limit");
        // A rotation at the limit needs a slot for a moment.
        let mut plan = Plan::with_hostnames(&[team(other)], &current, false, &declare("team", &[]), []);
        plan.set_ca_limit(2);
        assert!(matches!(plan.problems(), [Problem::CaLimit { peak: 3, now: 2, limit: 2, .. }]));
    }

    #[test]
    fn hostnames_only_for_the_folders_cas() {
        let leaf = Upload::leaf(account(), LEAF_PEM).with_name("leaf");
        let mut declared = declare("leaf", &["a.example.com"]);
        declared.extend(declare("absent", &[]));
        let plan = Plan::with_hostnames(&[leaf], &[], false, &declared, []);
        let problems: Vec<String> = plan.problems().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.contains("only a CA can hold hostnames")), "{problems:?}");
        assert_eq!(calls(&plan), ["upload leaf"]);
    }

    #[test]
    fn at_the_limit_what_frees_a_slot_goes_first_and_what_adds_one_last() {
        let rsa = include_str!("../tests/fixtures/ca-rsa2048.pem");
        let current = [
            stored("1", "z-old", true, CA_PEM),
            stored("2", "b-ca", true, OTHER_CA),
            stored("3", "a-gone", false, LEAF_PEM),
        ];
        let desired = [
            Upload::ca(account(), CA_PEM).with_name("b-ca"),
            Upload::leaf(account(), LEAF_PEM).with_name("c-leaf"),
            Upload::ca(account(), rsa).with_name("a-new"),
        ];
        let mut plan = Plan::new(&desired, &current, true);
        assert_eq!(calls(&plan)[0], "upload a-new", "within the limit: makes first");
        plan.set_ca_limit(2);
        // The CA's delete first; then, by name, what keeps the count (a leaf's delete, a
        // CA's replace, a leaf's create); the CA's create last.
        assert_eq!(calls(&plan), ["delete 1", "delete 3", "delete 2", "upload b-ca", "upload c-leaf", "upload a-new"]);
        assert!(plan.is_ready());
        assert_eq!(plan.ca_count(), (2, 2));
        // Each action names its step, in the steps' order.
        let steps: Vec<usize> = plan.actions().iter().map(Action::step).collect();
        assert_eq!(steps, [0, 1, 2, 2, 3, 4]);
        assert_eq!(plan.steps()[4].name(), Some("a-new"));
    }

    #[test]
    fn without_hostnames_in_play_a_stand_in_name_is_just_a_name() {
        let current = [stored("1", "team", true, CA_PEM), stored("2", "team (rotating)", true, CA_PEM)];
        let plan = Plan::new(&[team(CA_PEM)], &current, true);
        assert_eq!(calls(&plan), ["delete 2"]);
        assert!(matches!(plan.steps(), [Step::Unchanged { .. }, Step::Delete { .. }]));
    }

    #[test]
    fn a_stand_in_is_emptied_where_it_holds_anything_or_was_not_read() {
        let other_zone = ZoneId::new("11111111111111111111111111111111").unwrap();
        let declared = declare("team", &["api.example.com"]);
        let current = [stored("2", "team (rotating)", true, OTHER_CA)];
        let mut plan = Plan::with_hostnames(&[team(OTHER_CA)], &current, false, &declared, [other_zone.clone()]);
        plan.set_hostnames(&zone(), &id("2"), hosts(&["api.example.com"]));
        // In the other zone it was not read: emptied, to be sure.
        assert_eq!(
            calls(&plan),
            ["upload team", "hostnames new team [api.example.com]", "hostnames 2 []", "hostnames 2 []", "delete 2"]
        );
        // Read, it holds something there (a zone no list is declared in): emptied too.
        plan.set_hostnames(&other_zone, &id("2"), hosts(&["x.example.org"]));
        assert_eq!(calls(&plan).len(), 5);
        // Read, and empty there: left alone.
        plan.set_hostnames(&other_zone, &id("2"), Vec::new());
        assert_eq!(calls(&plan), ["upload team", "hostnames new team [api.example.com]", "hostnames 2 []", "delete 2"]);
    }

    #[test]
    fn what_a_write_adds_and_takes_away() {
        let current = [stored("1", "team", true, CA_PEM)];
        let mut plan = Plan::with_hostnames(&[team(CA_PEM)], &current, false, &declare("team", &["a.example.com"]), []);
        let names =
            |list: Vec<&Hostname>| list.into_iter().map(Hostname::as_str).map(str::to_owned).collect::<Vec<_>>();
        // Not read: what it takes away is unknown, so it is confirmed as a delete is.
        let unread = &plan.actions()[0];
        assert_eq!((unread.removed_hostnames(), unread.is_destructive()), (None, true));
        assert_eq!(names(unread.added_hostnames()), ["a.example.com"]);
        // Only added: not destructive.
        plan.set_hostnames(&zone(), &id("1"), Vec::new());
        let adds = &plan.actions()[0];
        assert_eq!((names(adds.added_hostnames()), adds.is_destructive()), (vec!["a.example.com".to_owned()], false));
        assert_eq!(adds.removed_hostnames().map(names), Some(Vec::new()));
        // An upload takes nothing away.
        let create = Plan::new(&[team(CA_PEM)], &[], false);
        assert!(!create.actions()[0].is_destructive());
        assert!(create.actions()[0].added_hostnames().is_empty());
    }
}
