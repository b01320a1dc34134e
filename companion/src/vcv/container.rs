//! The `.vcv` container: Rack 1's plain JSON, or Rack 2's zstd-compressed tar
//! holding `patch.json` (vcv-rack-format.md §1.1-1.2).

use std::io::Read;

/// The first bytes of a zstd frame; Rack 2 treats anything else as plain JSON.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Compression level Rack uses when it saves.
pub const RACK_ZSTD_LEVEL: i32 = 1;

/// Largest `patch.json` accepted, so a hostile archive cannot exhaust memory.
pub const MAX_PATCH_JSON_BYTES: u64 = 64 << 20;

/// How a `.vcv` file stores its `patch.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// Rack 0.6/1: the file is the JSON document.
    PlainJson,
    /// Rack 2: a zstd frame holding a tar archive.
    ZstdTar,
}

/// What is wrong with a container.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContainerError {
    /// The zstd stream is cut short or corrupt.
    #[error("truncated or corrupt zstd data: {0}")]
    Zstd(String),
    /// The decompressed data is not a readable tar archive.
    #[error("the zstd data is not a tar archive: {0}")]
    Tar(String),
    /// The archive holds no `patch.json` at its root.
    #[error("the archive holds no patch.json (entries: {})", if .0.is_empty() { "none".to_string() } else { .0.join(", ") })]
    NoPatchJson(Vec<String>),
    /// Decompressed content above [`MAX_PATCH_JSON_BYTES`].
    #[error("patch.json is larger than {} MiB", MAX_PATCH_JSON_BYTES >> 20)]
    TooLarge,
}

/// Extracts the `patch.json` bytes from a whole `.vcv` file.
pub fn unpack(file: &[u8]) -> Result<(Container, Vec<u8>), ContainerError> {
    if !file.starts_with(&ZSTD_MAGIC) {
        return Ok((Container::PlainJson, file.to_vec()));
    }
    let tar = read_limited(
        zstd::stream::read::Decoder::new(file).map_err(|e| ContainerError::Zstd(e.to_string()))?,
    )
    .map_err(|e| match e {
        LimitedReadError::TooLarge => ContainerError::TooLarge,
        LimitedReadError::Io(e) => ContainerError::Zstd(e.to_string()),
    })?;
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut names = Vec::new();
    for entry in archive.entries().map_err(|e| ContainerError::Tar(e.to_string()))? {
        let mut entry = entry.map_err(|e| ContainerError::Tar(e.to_string()))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if is_root_patch_json(&name) && entry.header().entry_type().is_file() {
            let json = read_limited(&mut entry).map_err(|e| match e {
                LimitedReadError::TooLarge => ContainerError::TooLarge,
                LimitedReadError::Io(e) => ContainerError::Tar(e.to_string()),
            })?;
            return Ok((Container::ZstdTar, json));
        }
        names.push(name);
    }
    Err(ContainerError::NoPatchJson(names))
}

/// `patch.json` with or without a leading `./`, as Rack extracts it.
fn is_root_patch_json(name: &str) -> bool {
    name.trim_start_matches("./") == "patch.json"
}

enum LimitedReadError {
    TooLarge,
    Io(std::io::Error),
}

fn read_limited(reader: impl Read) -> Result<Vec<u8>, LimitedReadError> {
    let mut bytes = Vec::new();
    reader.take(MAX_PATCH_JSON_BYTES + 1).read_to_end(&mut bytes).map_err(LimitedReadError::Io)?;
    if bytes.len() as u64 > MAX_PATCH_JSON_BYTES {
        return Err(LimitedReadError::TooLarge);
    }
    Ok(bytes)
}

/// Packs `patch.json` as Rack 2 saves it: a ustar archive with `./` and
/// `./patch.json` (owner 0, no names, no record padding), zstd level 1.
///
/// The modification time is 0 so that the same patch always gives the same bytes.
pub fn pack(patch_json: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    let mut directory = tar::Header::new_ustar();
    directory.set_entry_type(tar::EntryType::Directory);
    directory.set_mode(0o755);
    directory.set_size(0);
    directory.set_mtime(0);
    directory.set_uid(0);
    directory.set_gid(0);
    set_raw_name(&mut directory, b"./")?;
    directory.set_cksum();
    builder.append(&directory, std::io::empty())?;
    let mut file = tar::Header::new_ustar();
    file.set_entry_type(tar::EntryType::Regular);
    file.set_mode(0o644);
    file.set_size(patch_json.len() as u64);
    file.set_mtime(0);
    file.set_uid(0);
    file.set_gid(0);
    set_raw_name(&mut file, b"./patch.json")?;
    file.set_cksum();
    builder.append(&file, patch_json)?;
    let tar = builder.into_inner()?;
    zstd::stream::encode_all(tar.as_slice(), RACK_ZSTD_LEVEL)
}

/// Writes an entry name verbatim: the tar crate's path setter drops `./`.
fn set_raw_name(header: &mut tar::Header, name: &[u8]) -> std::io::Result<()> {
    let ustar = header.as_ustar_mut().ok_or_else(|| std::io::Error::other("a ustar header was expected"))?;
    ustar.name = [0; 100];
    ustar.name[..name.len()].copy_from_slice(name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_passes_through() {
        assert_eq!(unpack(b"{\"a\":1}"), Ok((Container::PlainJson, b"{\"a\":1}".to_vec())));
    }

    #[test]
    fn packed_json_unpacks_and_looks_like_rack_2() {
        let json = b"{\"version\":\"2.4.1\",\"modules\":[]}";
        let file = pack(json).unwrap();
        assert!(file.starts_with(&ZSTD_MAGIC));
        assert_eq!(unpack(&file), Ok((Container::ZstdTar, json.to_vec())));
        let tar = zstd::stream::decode_all(file.as_slice()).unwrap();
        // Header, JSON padded to a block, directory header, two zero blocks; no record padding.
        assert_eq!(tar.len(), 512 + 512 + 512 + 1024);
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                (name, e.header().uid().unwrap(), e.header().mode().unwrap() as u64)
            })
            .collect();
        assert_eq!(entries, [("./".into(), 0, 0o755), ("./patch.json".into(), 0, 0o644)]);
        assert_eq!(pack(json).unwrap(), file, "deterministic");
    }

    #[test]
    fn truncated_zstd_is_an_error() {
        let file = pack(&[b' '; 5000]).unwrap();
        for cut in [5, file.len() / 2, file.len() - 1] {
            match unpack(&file[..cut]) {
                Err(ContainerError::Zstd(_)) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn archive_without_patch_json_is_an_error() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(2);
        header.set_path("modules/1/wavetable.wav").unwrap();
        header.set_cksum();
        builder.append(&header, &b"ab"[..]).unwrap();
        let file = zstd::stream::encode_all(builder.into_inner().unwrap().as_slice(), 3).unwrap();
        assert_eq!(unpack(&file), Err(ContainerError::NoPatchJson(vec!["modules/1/wavetable.wav".into()])));
        let not_tar = zstd::stream::encode_all(&b"{\"modules\":[]}"[..], 1).unwrap();
        assert!(matches!(unpack(&not_tar), Err(ContainerError::Tar(_) | ContainerError::NoPatchJson(_))));
    }

    #[test]
    fn names_with_or_without_dot_slash_are_found() {
        assert!(is_root_patch_json("patch.json"));
        assert!(is_root_patch_json("./patch.json"));
        assert!(!is_root_patch_json("modules/patch.json"));
    }
}
