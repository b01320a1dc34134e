//! Where a tag's clip may go: inside the allow-listed clip root, never outside
//! it (no `..`, no absolute path elsewhere, no symlink that leads out).

use std::path::{Component, Path, PathBuf};

/// Resolves a tag's clip directory against the root, creating it if needed.
///
/// `clip_dir` is either relative to `root` (plain names only) or an absolute
/// path inside `root`. After creation both are canonicalised, so a symlink
/// inside the root that points elsewhere is refused too.
pub fn resolve_clip_dir(root: &Path, clip_dir: &str) -> Result<PathBuf, String> {
    let requested = Path::new(clip_dir);
    let relative: PathBuf = if requested.is_absolute() {
        let root_abs = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let lexical = lexical_only(requested)?;
        let inside = lexical.strip_prefix(&root_abs).or_else(|_| lexical.strip_prefix(root));
        inside
            .map(Path::to_path_buf)
            .map_err(|_| format!("clip dir {clip_dir:?} is outside the clip root {}", root.display()))?
    } else {
        lexical_only(requested)?
    };
    std::fs::create_dir_all(root)
        .map_err(|e| format!("cannot create the clip root {}: {e}", root.display()))?;
    let root_canonical =
        root.canonicalize().map_err(|e| format!("cannot resolve the clip root {}: {e}", root.display()))?;
    let target = root_canonical.join(&relative);
    std::fs::create_dir_all(&target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    let canonical = target.canonicalize().map_err(|e| format!("cannot resolve {}: {e}", target.display()))?;
    if !canonical.starts_with(&root_canonical) {
        return Err(format!("clip dir {clip_dir:?} leads outside the clip root {}", root.display()));
    }
    Ok(canonical)
}

/// The path with only plain components (and a root), or an error for `..` and `.`-tricks.
fn lexical_only(path: &Path) -> Result<PathBuf, String> {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::RootDir => clean.push(Component::RootDir),
            Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(format!("clip dir {:?} may not contain '..'", path.display().to_string()))
            }
        }
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_root_is_allowed_and_outside_refused() {
        let root = tempfile_dir("root");
        let ok = resolve_clip_dir(&root, "sweep-1/a").unwrap();
        assert!(ok.ends_with("sweep-1/a") && ok.is_dir());
        let absolute = root.join("abs");
        assert_eq!(
            resolve_clip_dir(&root, absolute.to_str().unwrap()).unwrap(),
            absolute.canonicalize().unwrap()
        );
        for bad in ["../x", "a/../../x", "/etc", "/"] {
            assert!(resolve_clip_dir(&root, bad).is_err(), "{bad}");
        }
        let outside = tempfile_dir("outside");
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        assert!(resolve_clip_dir(&root, "link").unwrap_err().contains("outside"));
    }

    fn tempfile_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rackmatch-bridge-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
