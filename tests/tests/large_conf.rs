//! Configurations large enough (over 1 MiB) that our `dhcpd` maps them instead of reading
//! them (`dhcpd_sys::mapped`): the verdict, the first error's file, line and message, and the
//! echoed source line must still be ISC's, for the main file and for an included one.

use std::fs;
use std::time::Duration;

use dhcpd_system_tests::{TempDir, first_positional_error, isc_dhcpd, our_dhcpd, run_check};

const TIMEOUT: Duration = Duration::from_secs(60);

/// `n` host declarations, about 80 bytes each.
fn hosts(prefix: &str, n: u32) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "host {prefix}{i:06} {{ hardware ethernet 02:00:00:{:02x}:{:02x}:{:02x}; fixed-address 10.{}.{}.{}; }}\n",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff,
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff
        ));
    }
    s
}

#[test]
fn large_files_read_like_isc() {
    let Some(isc) = isc_dhcpd() else { return };
    let ours = our_dhcpd();
    let big = hosts("h", 20_000);
    assert!(big.len() > 1 << 20, "{} bytes", big.len());
    let cases = [
        ("accepted.conf", big.clone(), None),
        // An error on the last line of a large main file.
        (
            "late-error.conf",
            format!("{big}host h000007 {{ }}\n"),
            None,
        ),
        // The same, in a large included file.
        (
            "include.conf",
            "include \"big.inc\";\n".to_string(),
            Some(format!("{big}host last {{ fixed-address 10.0.0.1 }}\n")),
        ),
    ];
    for (name, text, include) in cases {
        let tmp = TempDir::new("dhcpd-rs-large").expect("temporary directory");
        fs::write(tmp.path().join(name), &text).expect("write the configuration");
        if let Some(inc) = &include {
            fs::write(tmp.path().join("big.inc"), inc).expect("write the include");
        }
        let o = run_check(&ours, tmp.path(), name, TIMEOUT).expect("run our dhcpd");
        let i = run_check(&isc, tmp.path(), name, TIMEOUT).expect("run ISC dhcpd");
        assert_eq!(
            o.code, i.code,
            "{name}: exit status\nours:\n{}\nISC:\n{}",
            o.output, i.output
        );
        let file = if include.is_some() { "big.inc" } else { name };
        let (oe, ie) = (
            first_positional_error(&o.output, file),
            first_positional_error(&i.output, file),
        );
        assert_eq!(
            oe.as_ref()
                .map(|e| (e.line, e.message.as_str(), e.source.as_str())),
            ie.as_ref()
                .map(|e| (e.line, e.message.as_str(), e.source.as_str())),
            "{name}: first error\nours:\n{}\nISC:\n{}",
            o.output,
            i.output
        );
        assert_eq!(
            oe.is_some(),
            name != "accepted.conf",
            "{name}:\n{}",
            o.output
        );
    }
}
