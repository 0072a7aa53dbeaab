//! Placeholder while the bench is written (issue 5).

fn main() {}
