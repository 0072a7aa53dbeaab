//! The API calls a plan's steps expand to, in order, and the account's CAs counted along
//! them: what `apply` sends, one call per action, and what a model of the account replays.

use super::{Plan, Step, stand_in_name};
use crate::calls::Upload;
use crate::hostname::Hostname;
use crate::id::{CertificateId, ZoneId};

/// The certificate an action concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertRef {
    /// One on the account.
    Id(CertificateId),
    /// The CA an earlier [`Action::Upload`] of this plan uploads under this name (its ID is
    /// known only once it is uploaded).
    Uploaded(String),
}

impl std::fmt::Display for CertRef {
    /// The ID, or `new` for one this plan uploads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Uploaded(_) => f.write_str("new"),
        }
    }
}

/// One API call of a plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Action {
    /// Upload a certificate (`POST`).
    Upload {
        /// The step it belongs to (an index into [`Plan::steps`]).
        step: usize,
        /// The upload (named).
        upload: Upload,
    },
    /// Replace the hostnames of a (zone, CA) pair (`PUT`; an empty list removes them all).
    Hostnames {
        /// The step it belongs to.
        step: usize,
        /// The zone.
        zone: ZoneId,
        /// The CA.
        ca: CertRef,
        /// The list the pair will hold.
        hostnames: Vec<Hostname>,
        /// What it holds now, as read (`None`: not read).
        held: Option<Vec<Hostname>>,
    },
    /// Delete a certificate (`DELETE`).
    Delete {
        /// The step it belongs to.
        step: usize,
        /// Which (a rotation's stand-in may be uploaded earlier in the plan).
        id: CertRef,
        /// Its name, if any.
        name: Option<String>,
    },
}

impl Action {
    /// The step it belongs to (an index into [`Plan::steps`]).
    pub fn step(&self) -> usize {
        match self {
            Self::Upload { step, .. } | Self::Hostnames { step, .. } | Self::Delete { step, .. } => *step,
        }
    }

    /// The hostnames a [`Hostnames`](Self::Hostnames) action takes from its pair: those it
    /// holds and will not (every one, when what it holds was not read, is unknown: `None`).
    pub fn removed_hostnames(&self) -> Option<Vec<&Hostname>> {
        match self {
            Self::Hostnames { hostnames, held: Some(held), .. } => {
                Some(held.iter().filter(|h| !hostnames.contains(h)).collect())
            }
            Self::Hostnames { held: None, .. } => None,
            _ => Some(Vec::new()),
        }
    }

    /// The hostnames a [`Hostnames`](Self::Hostnames) action gives its pair that it does
    /// not hold (all of them when that was not read).
    pub fn added_hostnames(&self) -> Vec<&Hostname> {
        match self {
            Self::Hostnames { hostnames, held, .. } => {
                hostnames.iter().filter(|h| !held.as_ref().is_some_and(|held| held.contains(h))).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Whether it destroys something: a delete, or a write that takes hostnames away (or
    /// may: one over a list not read), which a person confirms as they confirm a delete.
    pub fn is_destructive(&self) -> bool {
        match self {
            Self::Delete { .. } => true,
            Self::Hostnames { .. } => self.removed_hostnames().is_none_or(|removed| !removed.is_empty()),
            Self::Upload { .. } => false,
        }
    }
}

/// Whether two lists hold the same hostnames (order and ASCII case aside).
fn same(a: &[Hostname], b: &[Hostname]) -> bool {
    a.iter().all(|h| b.contains(h)) && b.iter().all(|h| a.contains(h))
}

/// The actions of the plan's steps, in the steps' order.
pub(super) fn expand(plan: &Plan) -> Vec<Action> {
    let mut out = Vec::new();
    for (step, item) in plan.steps.iter().enumerate() {
        let declared: Vec<(ZoneId, Vec<Hostname>)> = item
            .name()
            .and_then(|name| plan.declared.get(name))
            .into_iter()
            .flatten()
            .map(|(z, list)| (z.clone(), list.clone()))
            .collect();
        // A pair of a CA on the account: written unless it holds that list already.
        let write = |out: &mut Vec<Action>, zone: &ZoneId, id: &CertificateId, hostnames: &[Hostname]| {
            let held = plan.held.get(&(zone.clone(), id.clone()));
            if !held.is_some_and(|held| same(held, hostnames)) {
                out.push(Action::Hostnames {
                    step,
                    zone: zone.clone(),
                    ca: CertRef::Id(id.clone()),
                    hostnames: hostnames.to_vec(),
                    held: held.cloned(),
                });
            }
        };
        // A pair of a CA this plan uploads: it holds nothing yet.
        let give = |out: &mut Vec<Action>, upload: &Upload, lists: &[(ZoneId, Vec<Hostname>)]| {
            for (zone, hostnames) in lists.iter().filter(|(_, list)| !list.is_empty()) {
                out.push(Action::Hostnames {
                    step,
                    zone: zone.clone(),
                    ca: CertRef::Uploaded(upload.name.clone().unwrap_or_default()),
                    hostnames: hostnames.clone(),
                    held: Some(Vec::new()),
                });
            }
        };
        // Before a CA is deleted: its lists in every zone the plan knows, emptied.
        let empty = |out: &mut Vec<Action>, id: &CertificateId| {
            for zone in &plan.zones {
                write(out, zone, id, &[]);
            }
        };
        match item {
            Step::Create { upload } => {
                out.push(Action::Upload { step, upload: upload.clone() });
                give(&mut out, upload, &declared);
            }
            Step::Unchanged { id, .. } => {
                for (zone, hostnames) in &declared {
                    write(&mut out, zone, id, hostnames);
                }
            }
            Step::Replace { upload, old, .. } => {
                if plan.cas.contains(old) {
                    empty(&mut out, old);
                }
                out.push(Action::Delete { step, id: CertRef::Id(old.clone()), name: upload.name.clone() });
                out.push(Action::Upload { step, upload: upload.clone() });
                give(&mut out, upload, &declared);
            }
            Step::Rotate { upload, old, stand_in, new, .. } => {
                let name = upload.name.clone().unwrap_or_default();
                let temporary = stand_in_name(&name);
                // The lists the new CA ends with: those declared; with none declared, what
                // the old CA (or the stand-in, or the new one, as far as the rotation got)
                // holds in the plan's zones, carried over.
                let target: Vec<(ZoneId, Vec<Hostname>)> = match plan.declared.contains_key(&name) {
                    true => declared.clone(),
                    false => plan
                        .zones
                        .iter()
                        .map(|z| {
                            let mut list: Vec<Hostname> = Vec::new();
                            for id in old.iter().chain(stand_in).chain(new) {
                                for h in plan.held.get(&(z.clone(), id.clone())).into_iter().flatten() {
                                    if !list.contains(h) {
                                        list.push(h.clone());
                                    }
                                }
                            }
                            (z.clone(), list)
                        })
                        .filter(|(_, list)| !list.is_empty())
                        .collect(),
                };
                if let Some(new) = new {
                    // The last stage: the new CA is in place; the stand-in retires.
                    for (zone, hostnames) in &target {
                        write(&mut out, zone, new, hostnames);
                    }
                    if let Some(t) = stand_in {
                        empty(&mut out, t);
                        out.push(Action::Delete { step, id: CertRef::Id(t.clone()), name: Some(temporary) });
                    }
                    continue;
                }
                // The stand-in takes the hostnames over, then the old CA goes.
                let t = match stand_in {
                    Some(t) => {
                        for (zone, hostnames) in &target {
                            write(&mut out, zone, t, hostnames);
                        }
                        CertRef::Id(t.clone())
                    }
                    None => {
                        let twin = upload.clone().with_name(temporary.clone());
                        out.push(Action::Upload { step, upload: twin.clone() });
                        give(&mut out, &twin, &target);
                        CertRef::Uploaded(temporary.clone())
                    }
                };
                if let Some(old) = old {
                    empty(&mut out, old);
                    out.push(Action::Delete { step, id: CertRef::Id(old.clone()), name: Some(name.clone()) });
                }
                // The new CA under its name takes them from the stand-in, which then goes.
                out.push(Action::Upload { step, upload: upload.clone() });
                give(&mut out, upload, &target);
                for zone in &plan.zones {
                    let held = match &t {
                        CertRef::Id(id) => plan.held.get(&(zone.clone(), id.clone())).cloned(),
                        _ => Some(Vec::new()),
                    };
                    // What the stand-in holds after this plan's writes to it.
                    let written = target.iter().find(|(z, _)| z == zone).map(|(_, list)| list.clone());
                    let after = written.clone().or(held.clone()).unwrap_or_default();
                    if held.is_none() || !after.is_empty() {
                        let held = if written.is_some() { Some(after) } else { held };
                        out.push(Action::Hostnames {
                            step,
                            zone: zone.clone(),
                            ca: t.clone(),
                            hostnames: Vec::new(),
                            held,
                        });
                    }
                }
                out.push(Action::Delete { step, id: t, name: Some(temporary) });
            }
            Step::Delete { id, name, .. } => {
                if plan.cas.contains(id) {
                    empty(&mut out, id);
                }
                out.push(Action::Delete { step, id: CertRef::Id(id.clone()), name: name.clone() });
            }
        }
    }
    out
}

/// The most CAs held at once along `actions`, and the name of the upload that first takes
/// the count past the plan's limit (`Some(name)`), if one does. The API refuses a CA's
/// upload once the account holds the limit.
pub(super) fn count(plan: &Plan, actions: &[Action]) -> (usize, Option<Option<String>>) {
    let mut held = plan.ca_count;
    let mut peak = held;
    let mut passed = None;
    for action in actions {
        match action {
            Action::Upload { upload, .. } if upload.ca => {
                held += 1;
                peak = peak.max(held);
                if held > plan.ca_limit && passed.is_none() {
                    passed = Some(upload.name.clone());
                }
            }
            Action::Delete { id: CertRef::Id(id), .. } if plan.cas.contains(id) => held = held.saturating_sub(1),
            // Only a rotation's stand-in, a CA, is uploaded and deleted in one plan.
            Action::Delete { id: CertRef::Uploaded(_), .. } => held = held.saturating_sub(1),
            _ => {}
        }
    }
    (peak, passed)
}
