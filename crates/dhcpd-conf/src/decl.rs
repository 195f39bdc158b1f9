//! Declarations and the statement dispatcher (ISC's `server/confpars.c` part of the grammar).

use crate::ast::Stmt;
use crate::cursor::Cursor;
use crate::diag::Diagnostic;
use crate::parser::Parser;

/// The kind of scope a statement is in (ISC's group types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The top of the file.
    Root,
}

/// Cross-statement state of the declaration parser (declared hosts, classes, peers, ...).
#[derive(Debug, Default)]
pub struct DeclState {}

impl DeclState {
    /// Whether a class of that name has been declared (stub until the declaration parser
    /// lands; TODO(decl)).
    pub fn class_exists(&self, name: &str) -> bool {
        let _ = name;
        false
    }
}

impl Parser<'_> {
    /// Parses statements until end of file (a whole file, in `scope`).
    pub(crate) fn parse_statements_to_eof(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        out: &mut Vec<Stmt>,
    ) {
        let _ = (scope, out);
        while !c.peek().is_eof() && !self.aborted {
            c.skip();
        }
    }

    /// Post-parse checks.
    pub(crate) fn check(&mut self, config: &mut crate::ast::Config, diags: &mut Vec<Diagnostic>) {
        let _ = (config, diags);
    }
}
