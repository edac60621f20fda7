//! The byte layout of objects crossing the ABI: a sequence of records
//! `[key_len: u32 LE][key][value_len: u32 LE][value]`, packed, no padding.
//! `table_insert_many` reads it; results (bag lookups, ranges, prefix
//! selections, chunks, the list of tables) are written in it.

/// Appends one record to `out`.
pub(crate) fn push(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.reserve(8 + key.len() + value.len());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

/// Splits `bytes` into its records; `None` if it is not a whole sequence of
/// records.
pub(crate) fn parse(mut bytes: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut records = Vec::new();
    while !bytes.is_empty() {
        let (key, rest) = field(bytes)?;
        let (value, rest) = field(rest)?;
        records.push((key, value));
        bytes = rest;
    }
    Some(records)
}

/// One length-prefixed field and what follows it.
fn field(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_reject_truncation() {
        let mut out = Vec::new();
        push(&mut out, b"k1", b"value");
        push(&mut out, b"", b"");
        assert_eq!(out.len(), 8 + 2 + 5 + 8);
        assert_eq!(parse(&out), Some(vec![(&b"k1"[..], &b"value"[..]), (&b""[..], &b""[..])]));
        assert_eq!(parse(&[]), Some(vec![]));
        for cut in 1..out.len() - 8 {
            assert_eq!(parse(&out[..cut]), None, "cut at {cut}");
        }
        assert_eq!(parse(&[0xFF, 0xFF, 0xFF, 0xFF]), None);
    }
}
