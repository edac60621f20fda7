//! Precompiled modules (`.cwasm`): wasmtime's compiled code, sealed with a
//! header that names the format and carries the code's length and SHA-256.
//!
//! A precompiled module is native code: loading one runs what it holds
//! with the host's rights, and wasmtime cannot check compiled code the way
//! it validates wasm. Warren treats a `.cwasm` as trusted (made by `warren
//! compile` on a machine you trust); what the seal guards against is
//! damage on the way (a truncated copy, a flipped byte), which would
//! otherwise crash the node instead of failing the load. A file without the
//! seal, or whose code does not match its checksum, is refused.
//!
//! Layout: `MAGIC` (8 bytes), format version (`u32` LE), code length (`u64`
//! LE), SHA-256 of the code (32 bytes), then the code.

use sha2::{Digest, Sha256};

/// The first bytes of a sealed precompiled module.
const MAGIC: &[u8; 8] = b"\0warrenC";
/// The seal's format; a new one is refused by an older Warren.
const VERSION: u32 = 1;
/// Bytes before the code.
const HEADER: usize = 8 + 4 + 8 + 32;

/// Whether `bytes` look like a sealed precompiled module (they may still be
/// damaged: see [`open`]).
pub(crate) fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Seals compiled `code` for writing to a file.
pub(crate) fn seal(code: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(HEADER + code.len());
    sealed.extend_from_slice(MAGIC);
    sealed.extend_from_slice(&VERSION.to_le_bytes());
    sealed.extend_from_slice(&(code.len() as u64).to_le_bytes());
    sealed.extend_from_slice(&Sha256::digest(code));
    sealed.extend_from_slice(code);
    sealed
}

/// The code inside a sealed module, once its length and checksum match;
/// otherwise why the file is refused.
pub(crate) fn open(sealed: &[u8]) -> Result<&[u8], String> {
    let Some((header, code)) = sealed.split_at_checked(HEADER) else {
        return Err("the file is truncated: it ends inside its header".into());
    };
    let version = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default());
    if version != VERSION {
        return Err(format!("the file's format {version} is not this Warren's ({VERSION}): compile it again"));
    }
    let length = u64::from_le_bytes(header[12..20].try_into().unwrap_or_default());
    if length != code.len() as u64 {
        return Err(format!(
            "the file is damaged: its header announces {length} bytes of code, it holds {}",
            code.len()
        ));
    }
    if Sha256::digest(code).as_slice() != &header[20..52] {
        return Err("the file is damaged: its code does not match its checksum".into());
    }
    Ok(code)
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::{HEADER, is_sealed, open, seal};

    #[test]
    fn a_sealed_module_opens_to_its_code() {
        let sealed = seal(b"compiled code");
        assert!(is_sealed(&sealed));
        assert_eq!(open(&sealed), Ok(&b"compiled code"[..]));
        assert!(!is_sealed(b"\x7fELF"), "a bare wasmtime file is not sealed");
    }

    #[test]
    fn a_truncated_or_altered_module_is_refused_with_the_reason() {
        let sealed = seal(&[7u8; 1000]);
        assert!(open(&sealed[..HEADER - 1]).unwrap_err().contains("truncated"));
        assert!(open(&sealed[..sealed.len() - 1]).unwrap_err().contains("announces 1000 bytes"));
        let mut flipped = sealed.clone();
        flipped[HEADER + 500] ^= 1;
        assert!(open(&flipped).unwrap_err().contains("checksum"));
        let mut newer = sealed;
        newer[8] = 2;
        assert!(open(&newer).unwrap_err().contains("format 2"));
    }
}
