//! What the live API's certificate IDs look like: UUIDs (`API-NOTES.md`, "Identifiers").

/// Whether `id` is a lowercase version-4 UUID, `b2134436-2555-4acf-be5b-26c48136575e`.
pub fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}
