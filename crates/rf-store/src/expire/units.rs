//! The value syntax of nfexpire's `-s size`, `-t lifetime` and `-w watermark`, and the scaled
//! sizes and durations of its reports (`73728 = 72.0 KB`, `172800 = 2.0 days`). Sizes are
//! 1024-based like nfexpire (not 1000-based like nfdump's number scaling).

use crate::error::{Error, Result};

/// Parses a size: a number (a decimal fraction is allowed) and an optional factor `b/B`,
/// `k/K`, `m/M`, `g/G`, `t/T`, optionally followed by `B` (`100MB`). `0` means no limit.
///
/// # Errors
/// Negative, missing or malformed numbers, unknown units, trailing garbage, overflow.
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = |why: &str| Error::invalid(format!("Invalid size '{s}': {why}"));
    if s.starts_with('-') {
        return Err(bad("must not be negative"));
    }
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    if num.is_empty() || num == "." {
        return Err(bad("missing number"));
    }
    let value: f64 = num.parse().map_err(|_| bad("malformed number"))?;
    let mut chars = unit.chars();
    let factor: u64 = match chars.next() {
        None | Some('b' | 'B') => 1,
        Some('k' | 'K') => 1 << 10,
        Some('m' | 'M') => 1 << 20,
        Some('g' | 'G') => 1 << 30,
        Some('t' | 'T') => 1 << 40,
        Some(_) => {
            return Err(Error::invalid(format!(
                "Garbage character(s) '{unit}' in '{s}'"
            )));
        }
    };
    let rest = chars.as_str();
    if !(rest.is_empty() || (factor > 1 && (rest == "B" || rest == "b"))) {
        return Err(Error::invalid(format!(
            "Garbage character(s) '{rest}' in '{s}'"
        )));
    }
    // Exact for integers below 2^53, which covers every real disk size.
    let bytes = value * factor as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad("too large"));
    }
    // 0 means "no limit": a size that only rounds to 0 would silently mean that too.
    if value > 0.0 && bytes < 1.0 {
        return Err(bad("smaller than one byte"));
    }
    Ok(bytes as u64)
}

/// Parses a lifetime: numbers each followed by a unit `w` (week), `d` (day), `H` (hour) or
/// `M` (minute), each unit at most once (`1w2d3H30M`); a number without unit counts hours.
/// Fractions are accepted (`1.5d` = 36 hours, as the nfexpire man page promises; 1.7.1
/// itself rejected them). `0` means no limit.
///
/// # Errors
/// Negative or missing numbers, unknown or repeated units, overflow.
pub fn parse_lifetime(s: &str) -> Result<u64> {
    let bad = |why: String| Error::invalid(format!("Invalid lifetime '{s}': {why}"));
    if s.is_empty() {
        return Err(bad("empty".into()));
    }
    if s.starts_with('-') {
        return Err(bad("must not be negative".into()));
    }
    let mut rest = s;
    let mut seen = String::new();
    let mut total = 0f64;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(end);
        if num.is_empty() || num == "." {
            return Err(bad(format!("missing number before '{tail}'")));
        }
        let n: f64 = num
            .parse()
            .map_err(|_| bad(format!("malformed number '{num}'")))?;
        let mut chars = tail.chars();
        let unit = chars.next().unwrap_or('H');
        let factor = match unit {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'H' => 3_600,
            'M' => 60,
            other => {
                return Err(bad(format!(
                    "unknown time unit '{other}' (use w, d, H or M)"
                )));
            }
        };
        if seen.contains(unit) {
            return Err(bad(format!("unit '{unit}' given twice")));
        }
        seen.push(unit);
        total += n * f64::from(factor);
        rest = chars.as_str();
    }
    if !total.is_finite() || total >= u64::MAX as f64 {
        return Err(bad("too large".into()));
    }
    Ok(total.round() as u64)
}

/// Parses a low watermark in percent, 0..=100. Like nfexpire, 0 is taken as 100.
///
/// # Errors
/// Not an integer, negative, or above 100.
pub fn parse_watermark(s: &str) -> Result<u32> {
    let v: i64 = s
        .parse()
        .map_err(|_| Error::invalid(format!("Invalid watermark '{s}': not a number")))?;
    match v {
        0 => Ok(100),
        1..=100 => Ok(u32::try_from(v).unwrap_or(100)),
        v if v > 100 => Err(Error::invalid("Water mark > 100%")),
        _ => Err(Error::invalid(format!(
            "Invalid watermark '{s}': must not be negative"
        ))),
    }
}

/// A size as nfexpire prints it: `<n> B` below 1 KiB, else `<n> = %.1f KB|MB|GB|TB`.
pub fn scale_size(bytes: u64) -> String {
    const UNITS: [(f64, &str); 4] = [
        (1_099_511_627_776.0, "TB"),
        (1_073_741_824.0, "GB"),
        (1_048_576.0, "MB"),
        (1_024.0, "KB"),
    ];
    let b = bytes as f64;
    match UNITS.iter().find(|(f, _)| b >= *f) {
        Some((f, unit)) => format!("{bytes} = {:.1} {unit}", b / f),
        None => format!("{bytes} B"),
    }
}

/// A duration as nfexpire prints it: `<n> sec` below a minute, else
/// `<n> = %.1f min|hours|days|weeks`.
pub fn scale_time(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (604_800, "weeks"),
        (86_400, "days"),
        (3_600, "hours"),
        (60, "min"),
    ];
    match UNITS.iter().find(|(f, _)| secs >= *f) {
        Some((f, unit)) => format!("{secs} = {:.1} {unit}", secs as f64 / *f as f64),
        None => format!("{secs} sec"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_1024_based() {
        assert_eq!(parse_size("100K").unwrap(), 102_400);
        assert_eq!(parse_size("100KB").unwrap(), 102_400);
        assert_eq!(parse_size("1.5G").unwrap(), 1_610_612_736);
        assert_eq!(parse_size("1.5GB").unwrap(), 1_610_612_736);
        assert_eq!(parse_size("1.5M").unwrap(), 1_572_864);
        assert_eq!(parse_size("5K").unwrap(), 5_120);
        assert_eq!(parse_size("2t").unwrap(), 2 << 40);
        assert_eq!(parse_size("77").unwrap(), 77);
        assert_eq!(parse_size("77b").unwrap(), 77);
        assert_eq!(parse_size("0").unwrap(), 0);
        assert!(parse_size("0.0000001k").is_err(), "not silently 'no limit'");
        assert_eq!(
            parse_size("10X").unwrap_err().to_string(),
            "Garbage character(s) 'X' in '10X'"
        );
        assert!(
            parse_size("-5")
                .unwrap_err()
                .to_string()
                .contains("negative")
        );
        assert!(parse_size("K").is_err());
        assert!(parse_size("1KX").is_err());
        assert!(parse_size("1BB").is_err());
        assert!(parse_size("1.2.3").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn lifetimes_combine_units() {
        assert_eq!(parse_lifetime("1w2d3H30M").unwrap(), 790_200);
        assert_eq!(parse_lifetime("2d").unwrap(), 172_800);
        assert_eq!(parse_lifetime("48").unwrap(), 172_800);
        assert_eq!(parse_lifetime("1.5d").unwrap(), 129_600);
        assert_eq!(parse_lifetime("90M").unwrap(), 5_400);
        assert_eq!(parse_lifetime("0").unwrap(), 0);
        for bad in ["2x", "1d1d", "-1d", "", "d", "1.2.3d", "2h"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn watermarks() {
        assert_eq!(parse_watermark("90").unwrap(), 90);
        assert_eq!(parse_watermark("0").unwrap(), 100);
        assert_eq!(
            parse_watermark("101").unwrap_err().to_string(),
            "Water mark > 100%"
        );
        assert!(parse_watermark("-1").is_err());
        assert!(parse_watermark("9x").is_err());
    }

    #[test]
    fn scaled_values_match_nfexpire_output() {
        // Strings as printed by nfexpire 1.7.1 (nfdump-cli.md §6.2 and observed runs).
        assert_eq!(scale_size(73_728), "73728 = 72.0 KB");
        assert_eq!(scale_size(0), "0 B");
        assert_eq!(scale_size(1_572_864), "1572864 = 1.5 MB");
        assert_eq!(scale_size(1_610_612_736), "1610612736 = 1.5 GB");
        assert_eq!(scale_time(97_200), "97200 = 1.1 days");
        assert_eq!(scale_time(790_200), "790200 = 1.3 weeks");
        assert_eq!(scale_time(0), "0 sec");
        assert_eq!(scale_time(120), "120 = 2.0 min");
        assert_eq!(scale_time(7_200), "7200 = 2.0 hours");
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,16}") {
            let _ = parse_size(&s);
            let _ = parse_lifetime(&s);
            let _ = parse_watermark(&s);
        }

        #[test]
        fn integral_sizes_scale_exactly(n in 0u64..1_000_000, unit in 0usize..5) {
            let (suffix, factor) = [("b", 1u64), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40)][unit];
            proptest::prop_assert_eq!(parse_size(&format!("{n}{suffix}")).unwrap(), n * factor);
        }
    }
}
