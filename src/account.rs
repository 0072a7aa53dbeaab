//! An account-scoped handle: the client and one account, so a program names its account once
//! and a spawned task clones one cheap value.

use crate::by_name;
use crate::calls::{Deleted, List, Upload};
use crate::client::{Async, Blocking, Client, Pages, example};
use crate::error::{BuildError, Call, Error};
use crate::id::{AccountId, CertificateId};
use crate::model::{Association, Certificate, Page, StoredCertificate};
use crate::pager::Pager;
use crate::transport::{AsyncHttpClient, AsyncSleep, HttpClient, Sleep};

/// A [`Client`] for one account, from [`Client::account`]. Every call names the account
/// already; certificates are named by ID or by name (the exactly-one rule of
/// [`by_name::exactly_one`]). Cloning is cheap (the client's parts are shared), so each task
/// of a service can hold its own.
///
#[doc = example!(blocking, "let account = client.account(&account);\nlet stored = account.upload(&account.ca(pem).with_name(\"my-ca\"))?;\nprintln!(\"uploaded {stored}\");\nfor cert in account.list_all() {\n    println!(\"{}\", cert?.name());\n}\nlet same = account.get_by_name(\"my-ca\")?;\nassert_eq!(same.id(), stored.id());")]
#[derive(Debug)]
pub struct Account<T, S, M> {
    client: Client<T, S, M>,
    id: AccountId,
}

impl<T, S, M> Clone for Account<T, S, M> {
    fn clone(&self) -> Self {
        Self { client: self.client.clone(), id: self.id.clone() }
    }
}

impl<T, S, M> Client<T, S, M> {
    /// This client, for the account `id`: see [`Account`].
    pub fn account(&self, id: &AccountId) -> Account<T, S, M> {
        Account { client: self.clone(), id: id.clone() }
    }
}

impl<T, S, M> Account<T, S, M> {
    /// The account.
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The client underneath, for calls built by hand.
    pub fn client(&self) -> &Client<T, S, M> {
        &self.client
    }

    /// An upload of `pem` to this account as a CA certificate; add a name and send it with
    /// [`upload`](Self::upload).
    pub fn ca(&self, pem: impl Into<String>) -> Upload {
        Upload::ca(self.id.clone(), pem)
    }

    /// An upload of `pem` to this account as a leaf certificate (see [`Upload::leaf`]).
    pub fn leaf(&self, pem: impl Into<String>) -> Upload {
        Upload::leaf(self.id.clone(), pem)
    }

    /// A listing of this account, to filter.
    pub fn list(&self) -> List {
        List::new(self.id.clone())
    }

    /// `Ok` when a call built elsewhere is for this account.
    fn check<E>(&self, call: Call, account: &AccountId) -> Result<(), Error<E>> {
        if *account == self.id {
            return Ok(());
        }
        let source = BuildError::OtherAccount { handle: self.id.to_string(), call: account.to_string() };
        Err(Error::Build { call, source })
    }

    /// The one certificate named `name` among `listed` (the API's `name` filter's answer).
    fn pick<E>(call: Call, name: &str, listed: Vec<Certificate>) -> Result<Option<StoredCertificate>, Error<E>> {
        match by_name::exactly_one(name, listed) {
            Ok((id, cert)) => Ok(Some(StoredCertificate::with_id(id, cert))),
            Err(crate::error::ByNameError::NotFound { .. }) => Ok(None),
            Err(source) => Err(Error::ByName { call, source }),
        }
    }

    fn not_found<E>(call: Call, name: &str) -> Error<E> {
        Error::ByName { call, source: crate::error::ByNameError::NotFound { name: name.to_owned() } }
    }
}

/// The handle's methods, once for both modes (`$($a)*`: `async` or nothing; `$($w)*`:
/// `.await` or nothing).
macro_rules! account_methods {
    ($mode:ident [$($a:tt)*] [$($w:tt)*] $err:ty, $find:literal) => {
        /// Uploads a certificate built with [`ca`](Self::ca) or [`leaf`](Self::leaf). An
        /// upload built for another account is refused before anything is sent.
        pub $($a)* fn upload(&self, upload: &Upload) -> Result<StoredCertificate, $err> {
            self.check(Call::Upload, &upload.account)?;
            self.client.upload(upload)$($w)*
        }

        /// Gets a certificate by ID.
        pub $($a)* fn get(&self, id: &CertificateId) -> Result<StoredCertificate, $err> {
            self.client.get(&self.id, id)$($w)*
        }

        /// Deletes a certificate by ID (see [`Client`]'s `delete`).
        pub $($a)* fn delete(&self, id: &CertificateId) -> Result<Deleted, $err> {
            self.client.delete(&self.id, id)$($w)*
        }

        /// The services that use a certificate.
        pub $($a)* fn associations(&self, id: &CertificateId) -> Result<Page<Association>, $err> {
            self.client.associations(&self.id, id)$($w)*
        }

        /// The certificate named exactly `name`, `None` if there is none, or
        /// [`Error::ByName`] if several are (over the API's `name` filter, every page).
        ///
        #[doc = example!($mode, $find)]
        pub $($a)* fn find_by_name(&self, name: &str) -> Result<Option<StoredCertificate>, $err> {
            let mut pager = Pager::new(self.list().with_name(name));
            let mut listed = Vec::new();
            while let Some(call) = pager.next_call() {
                let page = self.client.list(&call)$($w)*?;
                pager.on_page(&page).map_err(|source| Error::Paging { call: Call::List, source })?;
                listed.extend(page.items);
            }
            Self::pick(Call::List, name, listed)
        }

        /// The certificate named exactly `name`: none is an [`Error::ByName`] for which
        /// [`is_not_found`](Error::is_not_found) is true; several, one that lists their IDs.
        pub $($a)* fn get_by_name(&self, name: &str) -> Result<StoredCertificate, $err> {
            self.find_by_name(name)$($w)*?.ok_or_else(|| Self::not_found(Call::Get, name))
        }

        /// Deletes the certificate named exactly `name` (found as
        /// [`get_by_name`](Self::get_by_name) finds it, then deleted by its ID).
        pub $($a)* fn delete_by_name(&self, name: &str) -> Result<Deleted, $err> {
            match self.find_by_name(name)$($w)*? {
                Some(cert) => self.delete(cert.id())$($w)*,
                None => Err(Self::not_found(Call::Delete, name)),
            }
        }
    };
}

impl<T: HttpClient, S: Sleep> Account<T, S, Blocking> {
    account_methods!(
        blocking [] [] Error<T::Error>,
        "let account = client.account(&account);\nmatch account.find_by_name(\"my-ca\")? {\n    Some(cert) => println!(\"{} expires {}\", cert.id(), cert.expiry()),\n    None => println!(\"no certificate is named my-ca\"),\n}"
    );

    /// Every certificate of the account, a page at a time as the iterator advances.
    pub fn list_all(&self) -> Pages<T, S> {
        self.client.list_all(self.list())
    }

    /// Every certificate `filter` keeps (e.g. `|list| list.with_ca(true)`), a page at a time.
    pub fn list_all_filtered(&self, filter: impl FnOnce(List) -> List) -> Pages<T, S> {
        let list = filter(self.list());
        self.client.list_all(List { account: self.id.clone(), ..list })
    }
}

impl<T: AsyncHttpClient, S: AsyncSleep> Account<T, S, Async> {
    account_methods!(
        awaiting [async] [.await] Error<T::Error>,
        "let account = client.account(&account);\nmatch account.find_by_name(\"my-ca\").await? {\n    Some(cert) => println!(\"{} expires {}\", cert.id(), cert.expiry()),\n    None => println!(\"no certificate is named my-ca\"),\n}"
    );

    /// Every certificate of the account, as a `Stream` that fetches a page at a time (see
    /// [`Client`]'s `list_all`).
    pub fn list_all(
        &self,
    ) -> impl futures_core::Stream<Item = Result<Certificate, Error<T::Error>>> + Unpin + use<T, S> {
        self.client.list_all(self.list())
    }

    /// Every certificate `filter` keeps (e.g. `|list| list.with_ca(true)`), as a `Stream`.
    pub fn list_all_filtered<F: FnOnce(List) -> List>(
        &self,
        filter: F,
    ) -> impl futures_core::Stream<Item = Result<Certificate, Error<T::Error>>> + Unpin + use<T, S, F> {
        let list = filter(self.list());
        self.client.list_all(List { account: self.id.clone(), ..list })
    }
}
