//! The fake API served on loopback (work in progress).
