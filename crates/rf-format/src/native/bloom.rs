//! The per-block Bloom filter over source and destination addresses.
//!
//! A query for one host can skip every block whose filter says "absent". The hash is defined
//! here (not std's `DefaultHasher`, whose output may change between Rust releases) because it
//! is part of the file format: a filter written today must be probed the same way forever.
//!
//! The filter has a power-of-two number of bits, about [`BITS_PER_ADDR`] per distinct address
//! of the block, and [`HASHES`] probes derived by double hashing. IPv4 and IPv6 addresses hash
//! differently even when one is the IPv4-mapped form of the other, matching how records keep
//! the family.

use std::net::IpAddr;

use super::layout::MAX_BLOOM_WORDS;

/// Probes per address.
pub const HASHES: u64 = 7;
/// Filter bits per distinct address (about 1% false positives with 7 probes).
pub const BITS_PER_ADDR: usize = 10;

fn mix(mut z: u64) -> u64 {
    // splitmix64 finaliser: a fixed, well-distributed 64-bit mixer.
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 64-bit hash of an address that the filter is built from.
pub fn addr_hash(a: &IpAddr) -> u64 {
    let (family, bits) = match a {
        IpAddr::V4(v) => (4u64, u128::from(v.to_bits())),
        IpAddr::V6(v) => (6u64, v.to_bits()),
    };
    mix((bits >> 64) as u64 ^ mix(bits as u64 ^ mix(family)))
}

fn probes(hash: u64, words: usize) -> impl Iterator<Item = (usize, u64)> {
    let mask = (words as u64 * 64).wrapping_sub(1);
    let h2 = mix(hash) | 1;
    (0..HASHES).map(move |i| {
        let bit = hash.wrapping_add(i.wrapping_mul(h2)) & mask;
        ((bit >> 6) as usize, 1u64 << (bit & 63))
    })
}

/// Builds a filter from address hashes (duplicates allowed; `hashes` is reordered and
/// deduplicated in place).
#[cfg(test)]
pub fn build(hashes: &mut Vec<u64>) -> Vec<u64> {
    build_with(hashes, &mut Vec::new())
}

/// [`build`] with a reusable scratch table, so a writer allocates it once.
pub fn build_with(hashes: &mut Vec<u64>, table: &mut Vec<u64>) -> Vec<u64> {
    dedup(hashes, table);
    let bits = (hashes.len() * BITS_PER_ADDR)
        .next_power_of_two()
        .clamp(64, MAX_BLOOM_WORDS * 64);
    let mut words = vec![0u64; bits / 64];
    for &h in hashes.iter() {
        for (w, m) in probes(h, words.len()) {
            words[w] |= m;
        }
    }
    words
}

/// Removes duplicate hashes, keeping the first of each (order otherwise unspecified). The
/// filter is sized by the distinct count, and a hash set finds it in linear time where a
/// sort took most of the summary's cost. `table` is scratch space, all zero between calls.
fn dedup(hashes: &mut Vec<u64>, table: &mut Vec<u64>) {
    // Open addressing with linear probing, at most half full. 0 marks an empty slot, so the
    // hash 0 is tracked on the side.
    let size = (hashes.len() * 2).next_power_of_two().max(16);
    if table.len() < size {
        table.resize(size, 0);
    }
    let mask = size - 1;
    let mut zero_seen = false;
    let mut kept = 0;
    for i in 0..hashes.len() {
        let h = hashes[i];
        let new = if h == 0 {
            !std::mem::replace(&mut zero_seen, true)
        } else {
            // The hashes are already mixed, so any of their bits index the table well.
            let mut j = (h >> 32) as usize & mask;
            loop {
                let t = table[j];
                if t == h {
                    break false;
                }
                if t == 0 {
                    table[j] = h;
                    break true;
                }
                j = (j + 1) & mask;
            }
        };
        if new {
            hashes[kept] = h;
            kept += 1;
        }
    }
    hashes.truncate(kept);
    // Empty the slots used (cheaper than clearing the whole table when hosts repeat). In
    // reverse insertion order, every probe path still holds the entries it passed over.
    for &h in hashes.iter().rev() {
        let mut j = (h >> 32) as usize & mask;
        while h != 0 && table[j] != 0 {
            if table[j] == h {
                table[j] = 0;
                break;
            }
            j = (j + 1) & mask;
        }
    }
}

/// Whether a filter may contain `a`. An empty filter (or one whose size is not a power of two,
/// which no writer produces) answers "maybe", so it can never hide a match.
pub fn may_contain(words: &[u64], a: &IpAddr) -> bool {
    if words.is_empty() || !words.len().is_power_of_two() {
        return true;
    }
    probes(addr_hash(a), words.len()).all(|(w, m)| words.get(w).is_none_or(|x| x & m != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(i: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from_bits(0x0a00_0000 | i))
    }

    #[test]
    fn members_always_found_and_few_false_positives() {
        let members: Vec<IpAddr> = (0..1000).map(v4).collect();
        let mut hashes: Vec<u64> = members.iter().map(addr_hash).collect();
        let words = build(&mut hashes);
        assert!(words.len().is_power_of_two());
        assert!(members.iter().all(|a| may_contain(&words, a)));
        let fp = (1000..11000)
            .filter(|&i| may_contain(&words, &v4(i)))
            .count();
        assert!(fp < 400, "{fp} false positives in 10000");
    }

    #[test]
    fn families_differ_and_empty_means_maybe() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_ne!(addr_hash(&a), addr_hash(&mapped));
        assert!(may_contain(&[], &a));
        assert!(may_contain(&[0, 0, 0], &a));
        let words = build(&mut vec![addr_hash(&a)]);
        assert_eq!(words.len(), 1);
        assert!(may_contain(&words, &a));
    }

    #[test]
    fn dedup_keeps_each_hash_once() {
        let mut table = Vec::new();
        for n in [0usize, 1, 7, 100, 5000] {
            let mut hashes: Vec<u64> = (0..n as u64).map(|i| mix(i % 37) ^ (i % 3)).collect();
            hashes.extend([0, 0, u64::MAX, 1 << 63, 1 << 63]);
            let mut want = hashes.clone();
            want.sort_unstable();
            want.dedup();
            dedup(&mut hashes, &mut table);
            hashes.sort_unstable();
            assert_eq!(hashes, want);
            assert!(table.iter().all(|&t| t == 0), "table left dirty");
        }
    }

    #[test]
    fn hash_is_stable() {
        // The hash is part of the file format; this pins it.
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(addr_hash(&a), addr_hash(&"192.0.2.1".parse().unwrap()));
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x5692_161d_100b_05e5);
    }
}
