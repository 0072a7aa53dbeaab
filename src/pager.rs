//! Walking every page of a list: a state machine that yields the next [`List`] call and takes
//! each page, so any transport can drive it and none can make it loop forever.

use crate::calls::List;
use crate::error::PagerError;
use crate::id::CertificateId;
use crate::model::{Certificate, Page};

/// The page size the pager asks for when the caller did not choose one.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// Walks a certificate list page by page.
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
    /// The lowest `total_pages` any response claimed: a server cannot extend the walk.
    total_pages: Option<u64>,
    /// First and last ID of the previous page, to catch a server that repeats itself.
    previous: Option<(Option<CertificateId>, Option<CertificateId>)>,
    max_pages: u64,
}

impl Pager {
    /// Walks `list` from its `page` (or 1), with its `per_page` (or [`DEFAULT_PER_PAGE`]).
    pub fn new(list: List) -> Self {
        let mut list = list;
        let first = u64::from(list.page.unwrap_or(1).max(1));
        list.per_page = Some(list.per_page.unwrap_or(DEFAULT_PER_PAGE).max(1));
        Self { list, next: Some(first), received: 0, total_pages: None, previous: None, max_pages: 100_000 }
    }

    /// Refuses a page past `max_pages` (default 100,000) with [`PagerError::TooManyPages`].
    pub fn with_max_pages(mut self, max_pages: u64) -> Self {
        self.max_pages = max_pages;
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
    /// it should not be used (it is a repeat, the wrong page, or past the limit).
    pub fn on_page(&mut self, page: &Page<Certificate>) -> Result<(), PagerError> {
        let Some(asked) = self.next.take() else { return Ok(()) };
        if asked > self.max_pages {
            return Err(PagerError::TooManyPages(self.max_pages));
        }
        let n = page.items.len() as u64;
        self.received += n;
        let info = page.result_info.unwrap_or_default();
        if let Some(got) = info.page.filter(|&got| got != asked) {
            return Err(PagerError::WrongPage { asked, got });
        }
        let ends = (page.items.first().and_then(|c| c.id.clone()), page.items.last().and_then(|c| c.id.clone()));
        if n > 0 && ends.0.is_some() && self.previous.as_ref() == Some(&ends) {
            return Err(PagerError::Repeated { page: asked });
        }
        self.previous = Some(ends);
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
        assert_eq!(p.on_page(&Page::new(certs(0..2), Some(info))), Err(PagerError::Repeated { page: 2 }));
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
    fn the_page_limit_holds() {
        let mut p = pager(1).with_max_pages(3);
        let info = ResultInfo { per_page: Some(1), ..Default::default() };
        for i in 0..3 {
            p.on_page(&Page::new(certs(i..i + 1), Some(info))).unwrap();
        }
        assert_eq!(p.on_page(&Page::new(certs(5..6), Some(info))), Err(PagerError::TooManyPages(3)));
    }

    #[test]
    fn starts_where_the_list_says() {
        let p = Pager::new(List::new(AccountId::new("acc").unwrap()).with_page(3));
        let call = p.next_call().unwrap();
        assert_eq!((call.page, call.per_page), (Some(3), Some(DEFAULT_PER_PAGE)));
    }
}
