//! The async client on hyper (work in progress).
