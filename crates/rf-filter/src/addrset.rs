//! Address sets for `ip in [...]` lists: sorted exact addresses plus sorted networks grouped by
//! prefix length, so a lookup costs a few binary searches however long the list is.

use std::net::IpAddr;

/// A set of addresses and networks of both families.
#[derive(Clone, Debug, Default)]
pub struct AddrSet {
    v4: Vec<u32>,
    v6: Vec<u128>,
    /// (mask, sorted masked networks) per distinct IPv4 prefix length.
    nets4: Vec<(u32, Vec<u32>)>,
    /// (mask, sorted masked networks) per distinct IPv6 prefix length.
    nets6: Vec<(u128, Vec<u128>)>,
}

/// IPv4 mask of `bits` leading ones.
pub fn mask4(bits: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(bits.min(32)))
        .unwrap_or(0)
}

/// IPv6 mask of `bits` leading ones.
pub fn mask6(bits: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(bits.min(128)))
        .unwrap_or(0)
}

impl AddrSet {
    /// Adds one address.
    pub fn add_addr(&mut self, a: IpAddr) {
        match a {
            IpAddr::V4(a) => self.v4.push(u32::from(a)),
            IpAddr::V6(a) => self.v6.push(u128::from(a)),
        }
    }

    /// Adds a network; host bits of `a` are ignored.
    pub fn add_net(&mut self, a: IpAddr, bits: u8) {
        match a {
            IpAddr::V4(a) => {
                let m = mask4(bits);
                match self.nets4.iter_mut().find(|(mm, _)| *mm == m) {
                    Some((_, v)) => v.push(u32::from(a) & m),
                    None => self.nets4.push((m, vec![u32::from(a) & m])),
                }
            }
            IpAddr::V6(a) => {
                let m = mask6(bits);
                match self.nets6.iter_mut().find(|(mm, _)| *mm == m) {
                    Some((_, v)) => v.push(u128::from(a) & m),
                    None => self.nets6.push((m, vec![u128::from(a) & m])),
                }
            }
        }
    }

    /// Sorts and deduplicates after all additions; required before [`AddrSet::contains`].
    pub fn finish(&mut self) {
        self.v4.sort_unstable();
        self.v4.dedup();
        self.v6.sort_unstable();
        self.v6.dedup();
        for (_, v) in &mut self.nets4 {
            v.sort_unstable();
            v.dedup();
        }
        for (_, v) in &mut self.nets6 {
            v.sort_unstable();
            v.dedup();
        }
    }

    /// Whether `a` is one of the addresses or inside one of the networks.
    #[inline]
    pub fn contains(&self, a: IpAddr) -> bool {
        match a {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.binary_search(&a).is_ok()
                    || self
                        .nets4
                        .iter()
                        .any(|(m, v)| v.binary_search(&(a & m)).is_ok())
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.binary_search(&a).is_ok()
                    || self
                        .nets6
                        .iter()
                        .any(|(m, v)| v.binary_search(&(a & m)).is_ok())
            }
        }
    }

    /// The exact addresses when the set has no networks (for Bloom-filter block skipping).
    pub fn exact_only(&self) -> Option<impl Iterator<Item = IpAddr> + '_> {
        if !self.nets4.is_empty() || !self.nets6.is_empty() {
            return None;
        }
        let v4 = self
            .v4
            .iter()
            .map(|&a| IpAddr::from(std::net::Ipv4Addr::from(a)));
        let v6 = self
            .v6
            .iter()
            .map(|&a| IpAddr::from(std::net::Ipv6Addr::from(a)));
        Some(v4.chain(v6))
    }

    /// Whether the set is empty (e.g. only unresolvable host names).
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty() && self.nets4.is_empty() && self.nets6.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_networks() {
        let mut s = AddrSet::default();
        s.add_addr("10.1.2.3".parse().unwrap());
        s.add_net("172.16.0.0".parse().unwrap(), 12);
        s.add_net("2001:db8::".parse().unwrap(), 32);
        s.add_net("0.0.0.0".parse().unwrap(), 0);
        s.finish();
        assert!(s.contains("10.1.2.3".parse().unwrap()));
        assert!(s.contains("172.31.255.255".parse().unwrap()));
        assert!(
            s.contains("8.8.8.8".parse().unwrap()),
            "/0 matches every IPv4 address"
        );
        assert!(s.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!s.contains("2001:db9::1".parse().unwrap()));
        assert!(s.exact_only().is_none());
        assert_eq!((mask4(8), mask4(0), mask4(32)), (0xff00_0000, 0, u32::MAX));
    }
}
