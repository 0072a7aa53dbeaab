//! Walking every page of a list: a state machine that yields the next [`List`] call and takes
//! each page, so any transport can drive it and none can make it loop forever.

use std::collections::BTreeMap;

use crate::calls::List;
use crate::error::PagerError;
use crate::id::CertificateId;
use crate::model::{Certificate, Page};

/// The page size the pager asks for when the caller did not choose one.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// The most certificates one listing may hold unless told otherwise
/// ([`Pager::with_max_certificates`]): ten times the thousands of leaves and five CAs
/// (Cloudflare's limit) of the largest real account.
pub const DEFAULT_MAX_CERTIFICATES: u64 = 50_000;

/// The most bytes of certificate text (PEM, names, issuers, every text field) one listing
/// may hold unless told otherwise ([`Pager::with_max_bytes`]): 64 MiB, some 30,000 leaves of
/// a 2 KB PEM each, where a real account holds a few thousand.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// Walks a certificate list page by page.
///
/// Whatever a server says, the walk ends: past [`with_max_pages`](Self::with_max_pages)
/// pages, [`DEFAULT_MAX_CERTIFICATES`] certificates or [`DEFAULT_MAX_BYTES`] bytes of
/// certificate text (so a driver that keeps the whole listing keeps a bounded amount), and at
/// the first certificate ID that comes twice ([`PagerError::Repeated`]), on whatever pages.
///
/// ```
/// use cloudflare_mtls::{AccountId, List, Pager, Page, ResultInfo};
/// let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
/// let mut pager = Pager::new(List::new(account).with_per_page(2));
/// let first = pager.next_call().expect("the first page is always fetched");
/// assert_eq!(first.page, Some(1));
/// // ... send first.to_request(&config), decode with first.parse_response ...
/// pager.on_page(&Page::new(vec![], Some(ResultInfo::for_page(1, 2, 0, 0))))?;
/// assert!(pager.next_call().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pager {
    list: List,
    /// The page to ask for next; `None` once done.
    next: Option<u64>,
    /// Items seen so far.
    received: u64,
    /// Bytes of certificate text seen so far.
    bytes: u64,
    /// The lowest `total_pages` any response claimed: a server cannot extend the walk.
    total_pages: Option<u64>,
    /// Every certificate ID seen, and the page it came on: one seen again means the pages
    /// repeat or overlap. Bounded by `max_certificates`.
    seen: BTreeMap<CertificateId, u64>,
    max_pages: u64,
    max_certificates: u64,
    max_bytes: u64,
}

impl Pager {
    /// Walks `list` from its `page` (or 1), with its `per_page` (or [`DEFAULT_PER_PAGE`]).
    pub fn new(list: List) -> Self {
        let mut list = list;
        let first = u64::from(list.page.unwrap_or(1).max(1));
        list.per_page = Some(list.per_page.unwrap_or(DEFAULT_PER_PAGE).max(1));
        Self {
            list,
            next: Some(first),
            received: 0,
            bytes: 0,
            total_pages: None,
            seen: BTreeMap::new(),
            max_pages: 100_000,
            max_certificates: DEFAULT_MAX_CERTIFICATES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// Refuses a page past `max_pages` (default 100,000) with [`PagerError::TooManyPages`].
    pub fn with_max_pages(mut self, max_pages: u64) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Refuses a page that takes the listing past `max_certificates` (default
    /// [`DEFAULT_MAX_CERTIFICATES`]) with [`PagerError::TooManyCertificates`].
    pub fn with_max_certificates(mut self, max_certificates: u64) -> Self {
        self.max_certificates = max_certificates;
        self
    }

    /// Refuses a page that takes the listing past `max_bytes` bytes of certificate text
    /// (default [`DEFAULT_MAX_BYTES`]) with [`PagerError::TooManyBytes`].
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The call for the next page, or `None` when the walk is over.
    pub fn next_call(&self) -> Option<List> {
        let page = u32::try_from(self.next?).ok()?;
        let mut list = self.list.clone();
        list.page = Some(page);
        Some(list)
    }

    /// Takes the page answered to the last [`next_call`](Self::next_call), and decides
    /// whether there is another. After an error the walk is over, and the page that caused
    /// it should not be used (it is a repeat, the wrong page, or past a limit).
    pub fn on_page(&mut self, page: &Page<Certificate>) -> Result<(), PagerError> {
        let Some(asked) = self.next.take() else { return Ok(()) };
        if asked > self.max_pages {
            return Err(PagerError::TooManyPages(self.max_pages));
        }
        let n = page.items.len() as u64;
        self.received = self.received.saturating_add(n);
        if self.received > self.max_certificates {
            return Err(PagerError::TooManyCertificates(self.max_certificates));
        }
        self.bytes = page.items.iter().map(text_bytes).fold(self.bytes, u64::saturating_add);
        if self.bytes > self.max_bytes {
            return Err(PagerError::TooManyBytes(self.max_bytes));
        }
        let info = page.result_info.unwrap_or_default();
        if let Some(got) = info.page.filter(|&got| got != asked) {
            return Err(PagerError::WrongPage { asked, got });
        }
        for id in page.items.iter().filter_map(|c| c.id.as_ref()) {
            if let Some(&first) = self.seen.get(id) {
                return Err(PagerError::Repeated { id: id.as_str().to_owned(), first, page: asked });
            }
            self.seen.insert(id.clone(), asked);
        }
        if let Some(tp) = info.total_pages {
            self.total_pages = Some(self.total_pages.map_or(tp, |old| old.min(tp)));
        }
        let per_page =
            info.per_page.filter(|&p| p > 0).unwrap_or(u64::from(self.list.per_page.unwrap_or(DEFAULT_PER_PAGE)));
        let done = n == 0
            || page.result_info.is_none()
            || n < per_page
            || self.total_pages.is_some_and(|tp| asked >= tp)
            || info.total_count.is_some_and(|total| self.received >= total);
        if !done {
            self.next = Some(asked + 1);
        }
        Ok(())
    }

    /// Whether the walk is over.
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }
}

/// The bytes of text a certificate holds: what a listing kept in memory grows by.
fn text_bytes(c: &Certificate) -> u64 {
    let texts = [
        c.id.as_ref().map(CertificateId::as_str),
        c.name.as_deref(),
        c.certificates.as_deref(),
        c.issuer.as_deref(),
        c.serial_number.as_deref(),
        c.signature.as_deref(),
        c.kind.as_ref().map(|k| k.as_str()),
    ];
    texts.iter().flatten().map(|t| t.len() as u64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResultInfo;
    use crate::{AccountId, CertificateId};

    fn certs(range: std::ops::Range<u64>) -> Vec<Certificate> {
        range
            .map(|i| Certificate { id: Some(CertificateId::new(format!("c{i}")).unwrap()), ..Default::default() })
            .collect()
    }

    fn pager(per_page: u32) -> Pager {
        Pager::new(List::new(AccountId::new("acc").unwrap()).with_per_page(per_page))
    }

    #[test]
    fn stops_on_total_pages() {
        let mut p = pager(2);
        assert_eq!(p.next_call().unwrap().page, Some(1));
        p.on_page(&Page::new(certs(0..2), Some(ResultInfo::for_page(1, 2, 2, 4)))).unwrap();
        assert_eq!(p.next_call().unwrap().page, Some(2));
        p.on_page(&Page::new(certs(2..4), Some(ResultInfo::for_page(2, 2, 2, 4)))).unwrap();
        assert!(p.is_done() && p.next_call().is_none());
    }

    #[test]
    fn stops_on_a_short_page_or_no_result_info_or_empty() {
        let mut p = pager(3);
        p.on_page(&Page::new(certs(0..2), Some(ResultInfo::default()))).unwrap();
        assert!(p.is_done());
        let mut p = pager(2);
        p.on_page(&Page::new(certs(0..2), None)).unwrap();
        assert!(p.is_done());
        let mut p = pager(2);
        p.on_page(&Page::new(vec![], Some(ResultInfo::default()))).unwrap();
        assert!(p.is_done());
    }

    #[test]
    fn each_sign_of_the_end_ends_the_walk_alone() {
        let info = |page, per_page, total_count, total_pages| ResultInfo {
            page,
            per_page,
            total_count,
            total_pages,
            ..Default::default()
        };
        // A full page with nothing said about the end: the walk goes on.
        let mut p = pager(2);
        assert!(!p.is_done());
        p.on_page(&Page::new(certs(0..2), Some(info(Some(1), Some(2), None, None)))).unwrap();
        assert!(!p.is_done() && p.next_call().is_some());
        // The total count reached, without total_pages; total_pages reached, without a count:
        // either alone saves the request for an empty page.
        for ends in [info(Some(1), Some(2), Some(2), None), info(Some(1), Some(2), None, Some(1))] {
            let mut p = pager(2);
            p.on_page(&Page::new(certs(0..2), Some(ends))).unwrap();
            assert!(p.is_done() && p.next_call().is_none(), "{ends:?}");
        }
        // A per_page of 0 is no page size: the one asked for counts, so 1 of 2 is a short page.
        let mut p = pager(2);
        p.on_page(&Page::new(certs(0..1), Some(info(None, Some(0), None, None)))).unwrap();
        assert!(p.is_done());
    }

    #[test]
    fn a_server_capping_per_page_is_followed() {
        // Asked for 100, the server pages by 2 and says so: 2 is not a short page.
        let mut p = pager(100);
        let info = ResultInfo { page: Some(1), per_page: Some(2), ..Default::default() };
        p.on_page(&Page::new(certs(0..2), Some(info))).unwrap();
        assert_eq!(p.next_call().unwrap().page, Some(2));
    }

    #[test]
    fn a_server_that_repeats_itself_is_caught() {
        let mut p = pager(2);
        let info = ResultInfo { per_page: Some(2), ..Default::default() };
        p.on_page(&Page::new(certs(0..2), Some(info))).unwrap();
        assert_eq!(
            p.on_page(&Page::new(certs(0..2), Some(info))),
            Err(PagerError::Repeated { id: "c0".into(), first: 1, page: 2 })
        );
        assert!(p.is_done());
        // A server that ignores `page` and always answers page 1.
        let mut p = pager(2);
        p.on_page(&Page::new(certs(0..2), Some(ResultInfo::for_page(1, 2, 2, 10)))).unwrap();
        assert_eq!(
            p.on_page(&Page::new(certs(2..4), Some(ResultInfo::for_page(1, 2, 2, 10)))),
            Err(PagerError::WrongPage { asked: 2, got: 1 })
        );
    }

    #[test]
    fn alternating_pages_fail_at_the_first_id_seen_twice() {
        // Pages A, B, A, B with the right page numbers: no two pages in a row are alike.
        let mut p = pager(2);
        let (a, b) = (certs(0..2), certs(2..4));
        p.on_page(&Page::new(a.clone(), Some(ResultInfo::for_page(1, 2, 2, 8)))).unwrap();
        p.on_page(&Page::new(b, Some(ResultInfo::for_page(2, 2, 2, 8)))).unwrap();
        let err = p.on_page(&Page::new(a, Some(ResultInfo::for_page(3, 2, 2, 8)))).unwrap_err();
        assert_eq!(err, PagerError::Repeated { id: "c0".into(), first: 1, page: 3 });
        assert_eq!(
            err.to_string(),
            "certificate c0 came on page 1 and again on page 3: the server's pages repeat or overlap, so the listing cannot be trusted; stopping rather than returning it twice"
        );
        assert!(p.is_done());
        // Within one page too.
        let mut p = pager(3);
        let twice = [certs(0..2), certs(1..2)].concat();
        assert!(matches!(p.on_page(&Page::new(twice, None)), Err(PagerError::Repeated { page: 1, first: 1, .. })));
    }

    #[test]
    fn the_page_limit_holds() {
        let mut p = pager(1).with_max_pages(3);
        let info = ResultInfo { per_page: Some(1), ..Default::default() };
        for i in 0..3 {
            p.on_page(&Page::new(certs(i..i + 1), Some(info))).unwrap();
        }
        assert_eq!(p.on_page(&Page::new(certs(5..6), Some(info))), Err(PagerError::TooManyPages(3)));
    }

    #[test]
    fn a_listing_holds_at_most_so_many_certificates_and_bytes() {
        // Two pages of two pass; the third page's error, and the walk is over.
        let third = |mut p: Pager, make: fn(std::ops::Range<u64>) -> Vec<Certificate>| {
            let info = ResultInfo { per_page: Some(2), ..Default::default() };
            p.on_page(&Page::new(make(0..2), Some(info))).unwrap();
            p.on_page(&Page::new(make(2..4), Some(info))).unwrap();
            let err = p.on_page(&Page::new(make(4..6), Some(info))).unwrap_err();
            assert!(p.is_done());
            err
        };
        // Exactly at a limit is within it: four certificates of four, and two of 1,026 bytes
        // (an ID of 2, a PEM of 1,024) in 2,052.
        let info = ResultInfo { per_page: Some(2), ..Default::default() };
        let mut at = pager(2).with_max_certificates(4);
        at.on_page(&Page::new(certs(0..2), Some(info))).unwrap();
        at.on_page(&Page::new(certs(2..4), Some(info))).unwrap();
        let with_pem: Vec<Certificate> =
            certs(0..2).into_iter().map(|c| Certificate { certificates: Some("x".repeat(1024)), ..c }).collect();
        pager(2).with_max_bytes(2_052).on_page(&Page::new(with_pem, Some(info))).unwrap();
        let err = third(pager(2).with_max_certificates(5), certs);
        assert_eq!(err, PagerError::TooManyCertificates(5));
        assert!(err.to_string().contains("5 certificates"), "{err}");
        assert!(err.to_string().contains("a real account"), "{err}");

        // 1 KiB of PEM a certificate (and its ID of 2 or 3 bytes): 4 fit in 4200 bytes, not 5.
        let big = |range: std::ops::Range<u64>| -> Vec<Certificate> {
            certs(range).into_iter().map(|c| Certificate { certificates: Some("x".repeat(1024)), ..c }).collect()
        };
        let err = third(pager(2).with_max_bytes(4200), big);
        assert_eq!(err, PagerError::TooManyBytes(4200));
        assert!(err.to_string().contains("4200 bytes"), "{err}");
    }

    #[test]
    fn a_large_real_account_is_far_inside_the_default_limits() {
        // 5 CAs and 5,000 leaves of a 2 KB PEM each, 50 to a page.
        let total = 5_005;
        let mut p = pager(50);
        let mut page = 1;
        while p.next_call().is_some() {
            // 101 pages; a walk that does not end fails here rather than hanging the tests.
            assert!(page <= 101, "the walk did not end");
            let from = (page - 1) * 50;
            let items: Vec<Certificate> = certs(from..(from + 50).min(total))
                .into_iter()
                .map(|c| Certificate { certificates: Some("x".repeat(2048)), ..c })
                .collect();
            p.on_page(&Page::new(items, Some(ResultInfo::for_page(page, 50, 50, total)))).unwrap();
            page += 1;
        }
        assert_eq!(p.received, total);
        assert!(p.received * 5 < DEFAULT_MAX_CERTIFICATES && p.bytes * 5 < DEFAULT_MAX_BYTES, "{p:?}");
    }

    #[test]
    fn starts_where_the_list_says() {
        let p = Pager::new(List::new(AccountId::new("acc").unwrap()).with_page(3));
        let call = p.next_call().unwrap();
        assert_eq!((call.page, call.per_page), (Some(3), Some(DEFAULT_PER_PAGE)));
    }
}
