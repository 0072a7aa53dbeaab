//! The one writer of every file the tool writes (`export`'s folder, `serve-fake --tls-ca`,
//! `man --dir`): each file is written whole under a temporary name of its own, created
//! exclusively beside its target, then renamed into place. Without `force`, the rename
//! replaces nothing: a file (or link) that appears at the path in between, from another run
//! or another tool, wins, and is reported as existing. With `force`, the rename replaces the
//! path itself, so a symlink there is replaced, never followed. Only the temporary file this
//! run created is ever removed.

use std::io::Write as _;
use std::path::Path;

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was written (it did not exist, or `force` replaced it).
    Written,
    /// It holds these bytes already: nothing was written.
    Unchanged,
    /// Something else is at the path, and `force` was not given: it was left as it was.
    Exists,
}

/// Writes `contents` to `path` as the [module](self) says; `mode` is the new file's
/// permissions on Unix (less the umask).
pub fn file(path: &Path, contents: &[u8], force: bool, mode: u32) -> std::io::Result<Outcome> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == contents.len() as u64 && same(path, contents) => {
            return Ok(Outcome::Unchanged);
        }
        Ok(meta) if meta.is_dir() => {
            return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "a folder is in the way"));
        }
        Ok(_) if !force => return Ok(Outcome::Exists),
        _ => {}
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cf-mtls-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut temporary = builder.tempfile_in(dir)?;
    temporary.write_all(contents)?;
    temporary.as_file().sync_all()?;
    let persisted = if force { temporary.persist(path) } else { temporary.persist_noclobber(path) };
    match persisted {
        Ok(_) => {}
        // Another writer got there first: its file stands (ours is removed with the error).
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(Outcome::Exists),
        Err(e) => return Err(e.error),
    }
    // The rename is durable once the folder is.
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(Outcome::Written)
}

/// Whether the regular file at `path` holds exactly `contents`.
fn same(path: &Path, contents: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|have| have == contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("cf-mtls-write-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn written_unchanged_exists_forced() {
        let dir = scratch("basic");
        let path = dir.join("a.pem");
        assert_eq!(file(&path, b"one", false, 0o644).unwrap(), Outcome::Written);
        assert_eq!(file(&path, b"one", false, 0o644).unwrap(), Outcome::Unchanged);
        assert_eq!(file(&path, b"two", false, 0o644).unwrap(), Outcome::Exists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert_eq!(file(&path, b"two", true, 0o644).unwrap(), Outcome::Written);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(names(&dir), ["a.pem"], "no temporary file is left behind");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_never_followed() {
        let dir = scratch("link");
        let target = dir.join("target.txt");
        std::fs::write(&target, "precious").unwrap();
        let link = dir.join("ca.pem");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(file(&link, b"new", false, 0o644).unwrap(), Outcome::Exists);
        assert_eq!(file(&link, b"new", true, 0o644).unwrap(), Outcome::Written);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious", "the link's target is untouched");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file(), "the link itself was replaced");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_long_name_fits_and_user_files_are_never_removed() {
        let dir = scratch("long");
        let name = format!("{}.pem", "n".repeat(251));
        assert_eq!(file(&dir.join(&name), b"x", false, 0o644).unwrap(), Outcome::Written);
        // A file of the user's named as the old temporary files were stays as it is.
        let users = dir.join(format!(".{name}.{}.tmp", std::process::id()).chars().take(255).collect::<String>());
        std::fs::write(&users, "mine").unwrap();
        let other = dir.join("b.pem");
        assert_eq!(file(&other, b"y", false, 0o644).unwrap(), Outcome::Written);
        assert_eq!(std::fs::read_to_string(&users).unwrap(), "mine");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn racing_writers_never_overwrite_each_other() {
        let dir = scratch("race");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let writers: Vec<_> = [b'a', b'b']
            .into_iter()
            .map(|byte| {
                let (dir, barrier) = (dir.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..300)
                        .map(|i| (i, file(&dir.join(format!("{i}.pem")), &[byte; 64], false, 0o644).unwrap()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results: Vec<Vec<(usize, Outcome)>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        for i in 0..300 {
            let outcomes: Vec<Outcome> = results.iter().map(|r| r[i].1).collect();
            assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Written).count(), 1, "file {i}: {outcomes:?}");
            let bytes = std::fs::read(dir.join(format!("{i}.pem"))).unwrap();
            assert!(bytes == [b'a'; 64] || bytes == [b'b'; 64], "file {i} is one writer's, whole");
        }
        assert_eq!(names(&dir).len(), 300, "no temporary file is left behind");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
