//! The planner against a model of the account: random accounts (certificates, and the
//! hostnames their CAs hold in two zones) and random folders (certificates, declared
//! hostnames, `--prune`, a CA limit). Carrying a ready plan out, action by action, on the
//! model (which refuses what the API refuses: a CA's upload at the limit, hostnames for a CA
//! that is not one, the delete of a CA that holds hostnames) ends where the folder says, and
//! a second plan is empty; so does a run cut short after any action and then run again.

use std::collections::{BTreeMap, BTreeSet};

use cloudflare_mtls::folder::DeclaredHostnames;
use cloudflare_mtls::plan::{Action, CertRef, Plan, Problem, Step};
use cloudflare_mtls::{AccountId, Certificate, CertificateId, Hostname, Upload, ZoneId};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;

/// Five CAs and a leaf, told apart by their DER.
const PEMS: [&str; 6] = [
    include_str!("fixtures/ca-p256.pem"),
    include_str!("fixtures/ca-ed25519.pem"),
    include_str!("fixtures/ca-rsa2048.pem"),
    include_str!("fixtures/intermediate-p256.pem"),
    include_str!("fixtures/openapi-example-ca.pem"),
    include_str!("fixtures/leaf-p256.pem"),
];
const LEAF: usize = 5;
const NAMES: [&str; 4] = ["a", "b", "c", "d"];
const ZONES: [&str; 2] = ["11111111111111111111111111111111", "22222222222222222222222222222222"];
const HOSTS: [&str; 3] = ["api.example.com", "mtls.example.com", "www.example.com"];

fn account_id() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

fn zone(i: usize) -> ZoneId {
    ZoneId::new(ZONES[i]).unwrap()
}

#[derive(Debug, Clone)]
struct Stored {
    id: String,
    name: String,
    pem: usize,
}

/// The account as the API keeps it.
#[derive(Debug, Clone)]
struct Model {
    certs: Vec<Stored>,
    /// (zone, CA ID) to hostnames, lowercased; an empty list is no entry.
    lists: BTreeMap<(String, String), BTreeSet<String>>,
    limit: usize,
    next: usize,
}

impl Model {
    fn is_ca(pem: usize) -> bool {
        pem != LEAF
    }

    fn cas(&self) -> usize {
        self.certs.iter().filter(|c| Self::is_ca(c.pem)).count()
    }

    fn certificates(&self) -> Vec<Certificate> {
        self.certs
            .iter()
            .map(|c| {
                serde_json::from_value(serde_json::json!({
                    "id": c.id, "name": c.name, "ca": Self::is_ca(c.pem), "type": "custom",
                    // As the API rewrites PEM: CRLF line ends.
                    "certificates": PEMS[c.pem].replace('\n', "\r\n"),
                }))
                .unwrap()
            })
            .collect()
    }

    fn held(&self, zone: &ZoneId, id: &CertificateId) -> Vec<Hostname> {
        let key = (zone.to_string(), id.to_string());
        self.lists.get(&key).into_iter().flatten().map(|h| Hostname::new(h.as_str()).unwrap()).collect()
    }

    /// One action, as the API would take it; `uploaded` maps a name to what this run uploaded.
    fn apply(&mut self, action: &Action, uploaded: &mut BTreeMap<String, String>) -> Result<(), String> {
        match action {
            Action::Upload { upload, .. } => {
                let pem = PEMS.iter().position(|p| *p == upload.certificates).ok_or("an unknown PEM")?;
                if upload.ca && self.cas() >= self.limit {
                    return Err(format!("1489: the account holds {} CAs, its limit", self.cas()));
                }
                if upload.ca != Self::is_ca(pem) {
                    return Err("a certificate uploaded with the wrong flag".into());
                }
                let id = format!("id{}", self.next);
                self.next += 1;
                let name = upload.name.clone().ok_or("an unnamed upload")?;
                // As the fake does, and the API may: one certificate per name.
                if self.certs.iter().any(|c| c.name == name) {
                    return Err(format!("a second certificate named {name:?}"));
                }
                uploaded.insert(name.clone(), id.clone());
                self.certs.push(Stored { id, name, pem });
            }
            Action::Hostnames { zone, ca, hostnames, .. } => {
                let id = match ca {
                    CertRef::Id(id) => id.to_string(),
                    CertRef::Uploaded(name) => uploaded.get(name).cloned().ok_or("a CA not uploaded yet")?,
                    _ => return Err("an unknown CertRef".into()),
                };
                let cert = self.certs.iter().find(|c| c.id == id).ok_or("hostnames for a missing CA")?;
                if !Self::is_ca(cert.pem) {
                    return Err("hostnames for a leaf".into());
                }
                let list: BTreeSet<String> = hostnames.iter().map(|h| h.as_str().to_ascii_lowercase()).collect();
                let key = (zone.to_string(), id);
                if list.is_empty() {
                    self.lists.remove(&key);
                } else {
                    self.lists.insert(key, list);
                }
            }
            Action::Delete { id, .. } => {
                let id = match id {
                    CertRef::Id(id) => id.to_string(),
                    CertRef::Uploaded(name) => uploaded.get(name).cloned().ok_or("a delete of one not uploaded yet")?,
                    _ => return Err("an unknown CertRef".into()),
                };
                let at = self.certs.iter().position(|c| c.id == id).ok_or("a delete of a missing certificate")?;
                if self.lists.keys().any(|(_, held_by)| *held_by == id) {
                    return Err(format!("the delete of {id}, which still holds hostnames"));
                }
                self.certs.remove(at);
            }
            _ => return Err("an unknown action".into()),
        }
        Ok(())
    }
}

/// What a folder says.
#[derive(Debug, Clone)]
struct Folder {
    certs: BTreeMap<usize, usize>,
    declared: BTreeMap<usize, BTreeMap<usize, BTreeSet<usize>>>,
    prune: bool,
}

impl Folder {
    fn uploads(&self) -> Vec<Upload> {
        self.certs
            .iter()
            .map(|(&name, &pem)| {
                let upload = if Model::is_ca(pem) {
                    Upload::ca(account_id(), PEMS[pem])
                } else {
                    Upload::leaf(account_id(), PEMS[pem])
                };
                upload.with_name(NAMES[name])
            })
            .collect()
    }

    fn hostnames(&self) -> DeclaredHostnames {
        self.declared
            .iter()
            .map(|(&name, zones)| {
                let zones = zones
                    .iter()
                    .map(|(&z, hosts)| (zone(z), hosts.iter().map(|&h| Hostname::new(HOSTS[h]).unwrap()).collect()))
                    .collect();
                (NAMES[name].to_owned(), zones)
            })
            .collect()
    }
}

/// The plan from the model's state, with every pair it asks for read from the model. Both
/// zones are named, as `--zone` names them, so a removed CA's lists are all found.
fn plan(model: &Model, folder: &Folder) -> Plan {
    let zones = [zone(0), zone(1)];
    let mut plan =
        Plan::with_hostnames(&folder.uploads(), &model.certificates(), folder.prune, &folder.hostnames(), zones);
    plan.set_ca_limit(model.limit);
    for (zone, id) in plan.reads() {
        let held = model.held(&zone, &id);
        plan.set_hostnames(&zone, &id, held);
    }
    plan
}

/// Carries `plan` out on `model`, up to `stop` actions.
fn carry(model: &mut Model, plan: &Plan, stop: usize) -> Result<(), String> {
    let mut uploaded = BTreeMap::new();
    for action in plan.actions().iter().take(stop) {
        model.apply(action, &mut uploaded)?;
    }
    Ok(())
}

/// An account (unique names; its CAs' lists in both zones) and a CA limit it is within.
fn account() -> impl Strategy<Value = Model> {
    let certs = btree_map(0..NAMES.len(), 0..PEMS.len(), 0..=4);
    let lists = vec(vec(btree_set(0..HOSTS.len(), 0..=2), ZONES.len()), 4);
    (certs, lists, 0usize..4).prop_map(|(certs, lists, spare)| {
        let mut model = Model { certs: Vec::new(), lists: BTreeMap::new(), limit: 0, next: 100 };
        for (i, (&name, &pem)) in certs.iter().enumerate() {
            let id = format!("id{i}");
            if Model::is_ca(pem) {
                for (z, hosts) in lists[i].iter().enumerate() {
                    if !hosts.is_empty() {
                        let hosts = hosts.iter().map(|&h| HOSTS[h].to_owned()).collect();
                        model.lists.insert((ZONES[z].to_owned(), id.clone()), hosts);
                    }
                }
            }
            model.certs.push(Stored { id, name: NAMES[name].to_owned(), pem });
        }
        // A limit the account is within, from exactly at it to a few spare.
        model.limit = model.cas().max(1) + spare;
        model
    })
}

fn folder() -> impl Strategy<Value = Folder> {
    let certs = btree_map(0..NAMES.len(), 0..PEMS.len(), 0..=4);
    let declared = btree_map(0..NAMES.len(), btree_map(0..ZONES.len(), btree_set(0..HOSTS.len(), 0..=3), 0..=2), 0..=4);
    (certs, declared, any::<bool>()).prop_map(|(certs, declared, prune)| {
        // Hostnames are declared only for the folder's CAs (the rest is a problem, tested apart).
        let declared =
            declared.into_iter().filter(|(name, _)| certs.get(name).is_some_and(|&pem| Model::is_ca(pem))).collect();
        Folder { certs, declared, prune }
    })
}

/// Where the folder says the account ends: its certificates, each once, the declared lists
/// held, and with `prune` nothing else.
fn assert_converged(model: &Model, folder: &Folder) -> Result<(), TestCaseError> {
    for (&name, &pem) in &folder.certs {
        let named: Vec<&Stored> = model.certs.iter().filter(|c| c.name == NAMES[name]).collect();
        prop_assert_eq!(named.len(), 1, "{} once", NAMES[name]);
        prop_assert_eq!(named[0].pem, pem);
        for (&z, hosts) in folder.declared.get(&name).into_iter().flatten() {
            let key = (ZONES[z].to_owned(), named[0].id.clone());
            let want: BTreeSet<String> = hosts.iter().map(|&h| HOSTS[h].to_owned()).collect();
            prop_assert_eq!(model.lists.get(&key).cloned().unwrap_or_default(), want);
        }
    }
    if folder.prune {
        let stray = model.certs.iter().find(|c| !folder.certs.keys().any(|&n| NAMES[n] == c.name));
        prop_assert!(stray.is_none(), "pruned: {:?}", stray);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// A ready plan, carried out (cut after `cut` actions, then planned and carried out
    /// again), never passes the CA limit, never deletes a CA that holds hostnames, ends where
    /// the folder says, and leaves nothing to plan. A plan is blocked only by the limit, and
    /// then the folder's CAs (with what it keeps) are truly more than the limit allows.
    #[test]
    fn plans_converge_within_the_limit(start in account(), folder in folder(), cut in 0usize..12) {
        let mut model = start.clone();
        let first = plan(&model, &folder);
        if !first.is_ready() {
            for problem in first.problems() {
                let is_limit = matches!(problem, Problem::CaLimit { .. });
                prop_assert!(is_limit, "{}", problem);
            }
            // Blocked only when no order fits: the CAs held at the end pass the limit, or a
            // rotation needs one more than are held once everything that frees a slot is done.
            let in_folder = |c: &Stored| folder.certs.keys().any(|&n| NAMES[n] == c.name);
            let end = folder.certs.values().filter(|&&pem| Model::is_ca(pem)).count()
                + if folder.prune { 0 } else { start.certs.iter().filter(|c| Model::is_ca(c.pem) && !in_folder(c)).count() };
            let freed = start.certs.iter().filter(|c| Model::is_ca(c.pem)).filter(|c| {
                let wanted = folder.certs.iter().find(|&(&n, _)| NAMES[n] == c.name).map(|(_, &pem)| pem);
                match wanted { None => folder.prune, Some(pem) => !Model::is_ca(pem) }
            }).count();
            let rotates = first.steps().iter().any(|s| matches!(s, Step::Rotate { .. }));
            prop_assert!(end > model.limit || (rotates && start.cas() - freed + 1 > model.limit),
                "blocked, but {} CAs at the end (rotation: {}) within a limit of {}", end, rotates, model.limit);
            return Ok(());
        }
        let (now, peak) = first.ca_count();
        prop_assert_eq!(now, start.cas());
        prop_assert!(peak <= model.limit);
        carry(&mut model, &first, cut).map_err(TestCaseError::fail)?;
        let resumed = plan(&model, &folder);
        prop_assert!(resumed.is_ready(), "after {} actions: {:?}", cut, resumed.problems());
        carry(&mut model, &resumed, usize::MAX).map_err(TestCaseError::fail)?;
        let last = plan(&model, &folder);
        prop_assert!(last.is_ready() && last.actions().is_empty(), "left to do: {:?}", last.actions());
        assert_converged(&model, &folder)?;
    }
}
