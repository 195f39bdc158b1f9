//! Hostile nesting gives an error, never a stack overflow (ISC 4.4.3 crashes on these), and
//! real-world depths still parse. The parser runs on a thread with the stack the `dhcpd`
//! binary gives it (64 MiB), as test threads have only 2 MiB.

use dhcpd_conf::{MemLoader, ParseOptions, parse_config};

fn check(text: String) -> Vec<String> {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let mut l = MemLoader::single("n.conf", &text);
            parse_config("n.conf", &mut l, ParseOptions::default())
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect()
        })
        .expect("thread")
        .join()
        .expect("no panic")
}

fn nested(depth: usize) -> [String; 3] {
    [
        format!("if {}true{} {{ }}\n", "(".repeat(depth), ")".repeat(depth)),
        format!("{}{}\n", "if true { ".repeat(depth), "}".repeat(depth)),
        format!(
            "option domain-name = {}\"a\"{};\n",
            "concat(".repeat(depth),
            ", \"b\")".repeat(depth)
        ),
    ]
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for text in nested(100_000) {
        let errors = check(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("nested more than 256 deep"),
            "{errors:?}"
        );
    }
}

#[test]
fn ordinary_depths_parse() {
    for text in nested(200) {
        assert_eq!(check(text), Vec::<String>::new());
    }
}
