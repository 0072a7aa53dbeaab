//! The blocking client on ureq (work in progress).
