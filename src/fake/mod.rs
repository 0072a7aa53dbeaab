//! The Sans-IO fake of the mTLS API (work in progress).
