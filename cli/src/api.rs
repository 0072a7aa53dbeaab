//! The calls the commands make, each returning the typed model (for text output and
//! decisions) together with the API's JSON object exactly as it came (for `--json`).
//!
//! The raw objects come from a transport wrapper that keeps the body of every successful
//! response: the core decodes the same bytes, so a field this version of the crate does not
//! know still reaches `--json`.

use std::cell::RefCell;
use std::time::Duration;

use cloudflare_mtls::http::{Request, Response};
use cloudflare_mtls::retry::Failure;
use cloudflare_mtls::{
    AccountId, AssociatedHostnames, Association, BlockingClient, Certificate, CertificateId, Config, Deleted,
    HttpClient, ReplaceHostnames, ZoneId,
};
use cloudflare_mtls::{ByNameError, Call, Error, List, Pacing, Pager, RetryPolicy, Upload, by_name};
use serde_json::Value;

use crate::exit::{CliError, Exit};

/// Keeps the body of every 2xx response `inner` receives.
pub struct Recording<'t, T> {
    inner: &'t T,
    bodies: RefCell<Vec<Vec<u8>>>,
}

impl<T: HttpClient> HttpClient for Recording<'_, T> {
    type Error = T::Error;
    type Body = T::Body;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<T::Body>, T::Error> {
        let response = self.inner.send(request)?;
        if response.status().is_success() {
            self.bodies.borrow_mut().push(response.body().as_ref().to_vec());
        }
        Ok(response)
    }

    fn failure(error: &T::Error) -> Failure {
        T::failure(error)
    }
}

/// Monotonic time since the first call: the clock pacing reads.
fn uptime() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// A typed model and its JSON object as the API sent it.
pub struct Raw<M> {
    /// The decoded model.
    pub model: M,
    /// The API's object.
    pub json: Value,
}

/// The account's certificates, over a blocking transport.
pub struct Api<'t, T> {
    client: BlockingClient<Recording<'t, T>, fn(Duration)>,
    account: AccountId,
}

impl<'t, T> Api<'t, T>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    /// Calls `account`'s API over `transport`, retrying by `retry` (jitter drawn from `seed`)
    /// and paced by `pacing`.
    pub fn new(
        config: Config,
        transport: &'t T,
        retry: RetryPolicy,
        pacing: Pacing,
        seed: u64,
        account: AccountId,
    ) -> Self {
        let recording = Recording { inner: transport, bodies: RefCell::new(Vec::new()) };
        // Every wait over a second is said (a line, or on the progress bar, counting down).
        let sleep: fn(Duration) = crate::progress::sleep;
        let client = BlockingClient::new(config, recording)
            .with_sleep(sleep)
            .with_retry(retry)
            .with_seed(seed)
            .with_clock(uptime)
            .with_pacing(pacing)
            .on_wait(crate::progress::announce);
        Self { client, account }
    }

    /// The account.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The configuration requests are built with (for `--dry-run` after reads).
    pub fn config(&self) -> &Config {
        self.client.config()
    }

    /// The `result` of every body recorded since the last call, then forgets them.
    fn results(&self) -> Vec<Value> {
        let bodies = std::mem::take(&mut *self.client.transport().bodies.borrow_mut());
        bodies
            .iter()
            .filter_map(|body| serde_json::from_slice::<Value>(body).ok())
            .filter_map(|mut envelope| envelope.get_mut("result").map(Value::take))
            .collect()
    }

    /// The one object of the last response, or the model itself if the body was not kept.
    fn one<M: serde::Serialize>(&self, model: M) -> Raw<M> {
        let json = self.results().pop().unwrap_or_else(|| serde_json::to_value(&model).unwrap_or(Value::Null));
        Raw { model, json }
    }

    /// Pairs models with the items of every recorded page.
    fn many<M: serde::Serialize>(&self, models: Vec<M>) -> Vec<Raw<M>> {
        let mut items: Vec<Value> = self
            .results()
            .into_iter()
            .flat_map(|page| match page {
                Value::Array(items) => items,
                _ => Vec::new(),
            })
            .collect();
        // Every page the core decoded was recorded, so the counts match; if they ever did
        // not, the typed models are the safe answer.
        if items.len() != models.len() {
            items = models.iter().map(|m| serde_json::to_value(m).unwrap_or(Value::Null)).collect();
        }
        models.into_iter().zip(items).map(|(model, json)| Raw { model, json }).collect()
    }

    /// Uploads; the stored certificate.
    pub fn upload(&self, upload: &Upload) -> Result<Raw<Certificate>, CliError> {
        self.results();
        let cert = self.client.upload(upload).map_err(|e| {
            let full = e.response().and_then(|r| r.api()).is_some_and(|a| a.codes().any(|c| c == 1489));
            let err = CliError::from(e);
            match full {
                true => err.note("hint: an account holds at most five CAs (API Shield, Workers mTLS and Gateway share them): delete one it no longer needs (`cf-mtls list --ca`)"),
                false => err,
            }
        })?;
        Ok(self.one(cert.into_inner()))
    }

    /// Every certificate `list` matches, all pages, held at once: the pager's limits on one
    /// listing (certificates and bytes of text) bound what that can hold.
    pub fn list(&self, list: List) -> Result<Vec<Raw<Certificate>>, CliError> {
        let mut all = Vec::new();
        self.pages(list, |page| {
            all.extend(page);
            Ok(())
        })?;
        Ok(all)
    }

    /// Every certificate `list` matches, handed to `each_page` a page at a time as it
    /// arrives, so nothing waits for the last page and memory holds one page (and the IDs
    /// seen). The pager stops a server whose pages never end or repeat: an ID seen twice, or a
    /// listing past its limits, the same here as for [`list`](Self::list), so `list` shows
    /// exactly the listings `plan` and `export` take.
    pub fn pages(
        &self,
        list: List,
        mut each_page: impl FnMut(Vec<Raw<Certificate>>) -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        let mut pager = Pager::new(list);
        while let Some(call) = pager.next_call() {
            self.results();
            let page = self.client.list(&call)?;
            pager.on_page(&page).map_err(|source| {
                CliError::from(Error::<std::convert::Infallible>::Paging { call: Call::List, source })
            })?;
            each_page(self.many(page.items))?;
        }
        Ok(())
    }

    /// One certificate.
    pub fn get(&self, id: &CertificateId) -> Result<Raw<Certificate>, CliError> {
        self.results();
        let cert = self.client.get(&self.account, id).map_err(|e| by_id(e, id))?;
        Ok(self.one(cert.into_inner()))
    }

    /// Deletes; the certificate as it was. When the API refuses for another reason than
    /// not found, credentials or rate limiting, the error lists the certificate's
    /// associations, if any: that is why the API refuses a deletion.
    pub fn delete(&self, id: &CertificateId) -> Result<Raw<Deleted>, CliError> {
        self.results();
        let error = match self.client.delete(&self.account, id) {
            Ok(Deleted::Returned(cert)) => {
                let Raw { model, json } = self.one(cert);
                return Ok(Raw { model: Deleted::Returned(model), json });
            }
            // The answer that carried the certificate was lost: only its ID is known.
            Ok(deleted) => {
                let json = serde_json::json!({ "id": id.as_str() });
                return Ok(Raw { model: deleted, json });
            }
            Err(error) => error,
        };
        let maybe_in_use = error
            .response()
            .is_some_and(|r| r.api().is_some() && !r.is_not_found() && !r.is_auth_error() && !r.is_rate_limited());
        let mut err = by_id(error, id);
        if maybe_in_use
            && let Ok(page) = self.client.associations(&self.account, id)
            && !page.items.is_empty()
        {
            err = err.note("the certificate is in use by:");
            for a in &page.items {
                let service = a.service.as_deref().unwrap_or("(unnamed service)");
                err = err.note(format!("  {service}  {}", a.status.as_deref().unwrap_or("")));
            }
            err = err.note("hint: remove it from these services first, then delete it");
        } else if maybe_in_use {
            // No service holds it: what else the API refuses for is a CA's hostnames, in
            // zones no call can list.
            err = err.note(
                "hint: a CA with hostnames associated in a zone cannot be deleted: pass --detach ZONE_ID (once per zone) to remove them first (`cf-mtls hostnames ZONE_ID --cert ID` shows them)",
            );
        }
        Err(err)
    }

    /// The hostnames of `zone` associated with CA `ca` (`None`: the zone's managed CA).
    pub fn hostnames(&self, zone: &ZoneId, ca: Option<&CertificateId>) -> Result<Raw<AssociatedHostnames>, CliError> {
        self.results();
        let listed = self.client.hostnames(zone, ca).map_err(|e| by_zone(e, zone))?;
        Ok(self.one(listed))
    }

    /// Replaces the hostnames of a (zone, CA) pair; the list as stored.
    pub fn replace_hostnames(&self, replace: &ReplaceHostnames) -> Result<Raw<AssociatedHostnames>, CliError> {
        self.results();
        let stored = self.client.replace_hostnames(replace).map_err(|e| by_zone(e, &replace.zone))?;
        Ok(self.one(stored))
    }

    /// The certificate `name_or_id` names: the one with that ID, or else the one with that
    /// name ([`find_by_name`](Self::find_by_name): none or several is an error).
    pub fn find_certificate(&self, name_or_id: &str) -> Result<(CertificateId, Raw<Certificate>), CliError> {
        let Ok(id) = CertificateId::new(name_or_id) else { return self.find_by_name(name_or_id) };
        self.results();
        match self.client.get(&self.account, &id) {
            Ok(cert) => Ok((id, self.one(cert.into_inner()))),
            // Not an ID of the account: a name, then.
            Err(e) if e.is_not_found() => self.find_by_name(name_or_id).map_err(|e| match e.exit {
                Exit::Api => e.note(format!("hint: nor is {name_or_id} the ID of a certificate of this account")),
                _ => e,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The services that use a certificate.
    pub fn associations(&self, id: &CertificateId) -> Result<Vec<Raw<Association>>, CliError> {
        self.results();
        let page = self.client.associations(&self.account, id).map_err(|e| by_id(e, id))?;
        Ok(self.many(page.items))
    }

    /// The one certificate named exactly `name`: the library's rule
    /// ([`by_name::exactly_one`]), with hints for the command line.
    pub fn find_by_name(&self, name: &str) -> Result<(CertificateId, Raw<Certificate>), CliError> {
        let listed = self.list(List::new(self.account.clone()).with_name(name))?;
        by_name::exactly_one(name, listed).map_err(|error| {
            let hint = match error {
                ByNameError::Several { .. } => "hint: pass the ID of the one you mean instead of --name",
                _ => "hint: `cf-mtls list` shows every certificate's name and ID",
            };
            let exit = if matches!(error, ByNameError::Several { .. }) { Exit::Usage } else { Exit::Api };
            CliError::new(exit, error.to_string()).note(hint)
        })
    }
}

impl AsRef<Certificate> for Raw<Certificate> {
    fn as_ref(&self) -> &Certificate {
        &self.model
    }
}

/// An error of a call of a zone: an identifier the API cannot route to (code 7003) is most
/// often a zone's name given for its ID, or a zone of another account.
fn by_zone<E: std::fmt::Display + 'static>(error: Error<E>, zone: &ZoneId) -> CliError {
    let unroutable = error.response().and_then(|r| r.api()).is_some_and(|a| a.codes().any(|c| c == 7003));
    let auth = error.is_auth_error();
    let err = CliError::from(error);
    if unroutable {
        return err.note(format!(
            "hint: is {zone} the ID of a zone of this account? A zone's ID is 32 hex digits, on its Overview page in the dashboard"
        ));
    }
    if auth {
        return err.note("hint: for hostnames, the token needs the zone's `SSL and Certificates` permission (Read to list, Edit to set)");
    }
    err
}

/// An error of a call by certificate ID: a not found one hints at `--name`, since a name
/// given where the ID goes reads as an ID the account lacks.
fn by_id<E: std::fmt::Display + 'static>(error: Error<E>, id: &CertificateId) -> CliError {
    let not_found = error.is_not_found();
    let err = CliError::from(error);
    if not_found {
        return err.note(format!(
            "hint: to find a certificate by name, pass --name {id} (`cf-mtls list` shows names and IDs)"
        ));
    }
    err
}
