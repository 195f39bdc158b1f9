//! dhcpd.conf: lexer, parser, AST and semantic checks for the ISC dhcpd 4.4 grammar.
//!
//! The crate is sans-IO: included files are read through the [`Loader`] trait that the caller
//! provides, so the parser never touches the file system itself.
//!
//! Reading goes: [`lexer`] (ISC's token rules, by hand over byte classes) → [`cursor`] (ISC's peek/next and error
//! positions) → the recursive-descent parsers ([`decl`] for declarations, [`exec`] for
//! executable statements and expressions, [`options`] for option names, definitions and
//! values, [`basic`] for shared value parsers) → [`ast`] → post-parse checks.

pub mod ast;
pub mod basic;
pub mod cursor;
pub mod decl;
pub mod diag;
pub mod encode;
pub mod exec;
pub mod keywords;
pub mod lexer;
pub mod options;
pub mod parser;
pub mod semantic;

pub use diag::{Diagnostic, Severity};
pub use keywords::Kw;
pub use parser::{Loader, MemLoader, ParseOptions, ParseOutput, Source, parse_config};
