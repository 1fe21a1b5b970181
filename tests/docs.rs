//! Man pages in `man/` must be what the binaries generate from their clap definitions, so the
//! committed pages never drift from `--help`. Regenerate with `scripts/gen-man.sh`.

use crate::util::{cmd, run};

#[test]
fn man_pages_are_current() {
    for tool in ["rfcapd", "rfdump", "rfexpire", "rfreplay"] {
        let out = run(cmd(tool).args(["--generate", "man"]));
        assert!(out.status.success(), "{tool} --generate man failed");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("man")
            .join(format!("{tool}.1"));
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "{} is stale: run scripts/gen-man.sh",
            path.display()
        );
    }
}

#[test]
fn completions_generate_for_every_shell() {
    for tool in ["rfcapd", "rfdump", "rfexpire", "rfreplay"] {
        for shell in ["bash", "zsh", "fish"] {
            let out = run(cmd(tool).args(["--generate", shell]));
            assert!(out.status.success(), "{tool} --generate {shell}");
            assert!(
                String::from_utf8_lossy(&out.stdout).contains(tool),
                "{tool} {shell} completion does not mention the tool"
            );
        }
    }
}
